import { useState, type FormEvent } from "react";
import { login, register } from "../api/auth";
import { navigate } from "../app/router";
import { explain, fieldErrors } from "../lib/errors";
import { Field } from "../ui/Field";
import { Header } from "../ui/Header";
import { Notice } from "../ui/Notice";

export function LoginPage({ next }: { next: string | null }) {
  const [mode, setMode] = useState<"login" | "register">("login");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      const user =
        mode === "login"
          ? await login({ email, password })
          : await register({ email, password, display_name: String(form.get("display_name") ?? "").trim() });
      navigate(next ?? (user.role === "viewer" ? "/" : "/studio"), { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fields = fieldErrors(error);
  return (
    <>
      <Header />
      <main className="page narrow auth-page">
        <h1 tabIndex={-1}>{mode === "login" ? "Log in" : "Create an account"}</h1>
        <p className="muted">
          {mode === "login"
            ? "Log in to buy, chat, or run your show from the studio."
            : "An account lets you buy and chat. Hosts get studio access from their admin."}
        </p>
        {error != null && <Notice tone="error">{explain(error).message}</Notice>}
        <form className="stack" onSubmit={submit} noValidate={false}>
          {mode === "register" && (
            <Field label="Display name" name="display_name" autoComplete="nickname" required maxLength={80} error={fields.display_name} />
          )}
          <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            required
            error={fields.password}
          />
          <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
            {busy ? "One moment…" : mode === "login" ? "Log in" : "Create account"}
          </button>
        </form>
        <p className="switch-mode">
          {mode === "login" ? "New here?" : "Already have an account?"}{" "}
          <button type="button" className="btn-link" onClick={() => { setMode(mode === "login" ? "register" : "login"); setError(null); }}>
            {mode === "login" ? "Create an account" : "Log in"}
          </button>
        </p>
      </main>
    </>
  );
}
