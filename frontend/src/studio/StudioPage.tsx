import { useCallback, useEffect, useState, type FormEvent } from "react";
import { createShow, listMyShows } from "../api/shows";
import type { Show } from "../api/types";
import { navigate } from "../app/router";
import { useSession } from "../app/useSession";
import { explain, fieldErrors } from "../lib/errors";
import { Field } from "../ui/Field";
import { Header } from "../ui/Header";
import { IconPlus } from "../ui/icons";
import { Link } from "../ui/Link";
import { Notice } from "../ui/Notice";
import { StatusBadge } from "../ui/StatusBadge";
import { ShowStudio } from "./ShowStudio";

export function StudioPage({ showId }: { showId: number | null }) {
  const s = useSession();
  const [shows, setShows] = useState<Show[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    listMyShows().then(setShows, setError);
  }, []);

  useEffect(() => {
    if (s && s.user.role !== "viewer") load();
  }, [s?.user.id, load]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!s) {
    return (
      <>
        <Header />
        <main className="page narrow">
          <h1 tabIndex={-1}>Studio</h1>
          <p>Log in with your host account to run a show.</p>
          <Link className="btn btn-primary" to={`/login?next=${encodeURIComponent(location.pathname)}`}>
            Log in
          </Link>
        </main>
      </>
    );
  }
  if (s.user.role === "viewer") {
    return (
      <>
        <Header />
        <main className="page narrow">
          <h1 tabIndex={-1}>Studio</h1>
          <Notice>
            This is a viewer account. To host shows, ask the operator of this showfloor to make it a
            host account (<code>showfloor user set-role --role host</code>).
          </Notice>
        </main>
      </>
    );
  }

  return (
    <>
      <Header />
      <div className="studio">
        <nav className="studio-nav" aria-label="Your shows">
          <h2 className="nav-title">Your shows</h2>
          {error != null && <Notice tone="error">{explain(error).message}</Notice>}
          <ul className="show-list">
            {shows?.map((show) => (
              <li key={show.id}>
                <Link
                  to={`/studio/${show.id}`}
                  className={`show-link ${show.id === showId ? "current" : ""}`}
                  aria-current={show.id === showId ? "page" : undefined}
                >
                  <span className="ellipsis">{show.title}</span>
                  <StatusBadge status={show.status} />
                </Link>
              </li>
            ))}
          </ul>
          <NewShowForm
            onCreated={(show) => {
              setShows((list) => [show, ...(list ?? [])]);
              navigate(`/studio/${show.id}`);
            }}
          />
        </nav>
        <main className="studio-main">
          {showId != null ? (
            <ShowStudio
              key={showId}
              showId={showId}
              onShowChanged={(show) => setShows((list) => list?.map((x) => (x.id === show.id ? show : x)) ?? null)}
            />
          ) : (
            <div className="studio-empty">
              <h1 tabIndex={-1}>Studio</h1>
              <p className="muted">
                Choose a show on the left, or create one. You will add products, check your camera and go
                live from here.
              </p>
            </div>
          )}
        </main>
      </div>
    </>
  );
}

function NewShowForm({ onCreated }: { onCreated: (show: Show) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      const show = await createShow({
        title: String(data.get("title") ?? "").trim(),
        description: String(data.get("description") ?? "").trim(),
      });
      form.reset();
      onCreated(show);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fields = fieldErrors(error);
  return (
    <form className="new-show stack-sm" onSubmit={submit} aria-labelledby="new-show-title">
      <h2 id="new-show-title" className="nav-title">New show</h2>
      {error != null && !Object.keys(fields).length && <Notice tone="error">{explain(error).message}</Notice>}
      <Field label="Title" name="title" required maxLength={140} placeholder="Friday sneaker drop" error={fields.title} />
      <Field label="Description (optional)" name="description" maxLength={5000} error={fields.description} />
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        <IconPlus size={16} /> {busy ? "Creating…" : "Create show"}
      </button>
    </form>
  );
}
