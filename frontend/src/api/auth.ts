import { request } from "./http";
import { session, sessionFromTokens } from "./session";
import type { LoginIn, RegisterIn, Tokens, User } from "./types";

export async function login(body: LoginIn): Promise<User> {
  const tokens = await request<Tokens>("/api/v1/auth/login", { method: "POST", body, auth: false });
  session.set(sessionFromTokens(tokens));
  return tokens.user;
}

export async function register(body: RegisterIn): Promise<User> {
  await request<User>("/api/v1/auth/register", { method: "POST", body, auth: false });
  return login({ email: body.email, password: body.password });
}

export async function logout(): Promise<void> {
  const s = session.get();
  session.set(null);
  if (s) {
    await request<void>("/api/v1/auth/logout", {
      method: "POST",
      body: { refresh_token: s.refreshToken },
      auth: false,
    }).catch(() => undefined);
  }
}

export function me(): Promise<User> {
  return request<User>("/api/v1/me");
}
