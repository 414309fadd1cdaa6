"""Commerce: users and auth, shows, products, the inventory gate, holds and orders."""
