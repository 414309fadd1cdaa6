import { describe, expect, it } from "vitest";
import { parseRoute } from "./router";

describe("routes", () => {
  it("parses the app's paths", () => {
    expect(parseRoute("/")).toEqual({ name: "home" });
    expect(parseRoute("/s/42")).toEqual({ name: "viewer", showId: 42 });
    expect(parseRoute("/s/42/")).toEqual({ name: "viewer", showId: 42 });
    expect(parseRoute("/studio")).toEqual({ name: "studio", showId: null });
    expect(parseRoute("/studio/7")).toEqual({ name: "studio", showId: 7 });
    expect(parseRoute("/s/abc")).toEqual({ name: "not_found" });
  });

  it("only returns to same-site paths after login", () => {
    expect(parseRoute("/login", "?next=/s/3")).toEqual({ name: "login", next: "/s/3" });
    expect(parseRoute("/login", "?next=//evil.example")).toEqual({ name: "login", next: null });
    expect(parseRoute("/login", "?next=https://evil.example")).toEqual({ name: "login", next: null });
  });
});
