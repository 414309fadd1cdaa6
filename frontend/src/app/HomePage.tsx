import { useEffect, useState } from "react";
import { listLiveShows } from "../api/shows";
import type { Show } from "../api/types";
import { explain } from "../lib/errors";
import { Header } from "../ui/Header";
import { Link } from "../ui/Link";
import { Notice } from "../ui/Notice";
import { StatusBadge } from "../ui/StatusBadge";

export function HomePage() {
  const [shows, setShows] = useState<Show[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    listLiveShows().then(setShows, setError);
  }, []);

  return (
    <>
      <Header />
      <main className="page">
        <h1 tabIndex={-1}>Shows</h1>
        {error != null && <Notice tone="error">{explain(error).message}</Notice>}
        {shows && shows.length === 0 && (
          <p className="muted">No show is on right now. Come back later, or open a show's link.</p>
        )}
        <ul className="show-grid">
          {shows?.map((s) => (
            <li key={s.id}>
              <Link to={`/s/${s.id}`} className="show-tile">
                <span className="show-tile-art" aria-hidden="true" />
                <span className="show-tile-body">
                  <StatusBadge status={s.status} />
                  <strong>{s.title}</strong>
                  {s.description && <span className="muted clamp-2">{s.description}</span>}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </main>
    </>
  );
}
