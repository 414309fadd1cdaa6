"""Cross-cutting runtime of showfloor: settings, CLI, the web shell shared by every app."""
