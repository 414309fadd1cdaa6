import { logout } from "../api/auth";
import { useSession } from "../app/useSession";
import { Link } from "./Link";

export function Header({ children }: { children?: React.ReactNode }) {
  const s = useSession();
  const here = typeof window === "undefined" ? "/" : window.location.pathname;
  return (
    <header className="topbar">
      <Link to="/" className="brand" aria-label="showfloor home">
        <span className="brand-mark" aria-hidden="true" />
        showfloor
      </Link>
      <div className="topbar-slot">{children}</div>
      <nav className="topbar-nav" aria-label="Account">
        {s ? (
          <>
            {s.user.role !== "viewer" && <Link to="/studio">Studio</Link>}
            <span className="who" title={s.user.email}>
              {s.user.display_name}
            </span>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => void logout()}>
              Log out
            </button>
          </>
        ) : (
          <Link className="btn btn-ghost btn-sm" to={`/login?next=${encodeURIComponent(here)}`}>
            Log in
          </Link>
        )}
      </nav>
    </header>
  );
}
