import { describe, expect, it } from "vitest";
import { formatPrice, minorDigits, parsePrice } from "./money";

describe("money", () => {
  it("knows minor units per currency", () => {
    expect(minorDigits("EUR")).toBe(2);
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
  });
  it("formats minor units", () => {
    expect(formatPrice(12900, "EUR", "en-US")).toBe("€129.00");
    expect(formatPrice(1500, "JPY", "en-US")).toBe("¥1,500");
  });
  it("parses what hosts type", () => {
    expect(parsePrice("129", "EUR")).toBe(12900);
    expect(parsePrice("129,9", "EUR")).toBe(12990);
    expect(parsePrice("0.05", "EUR")).toBe(5);
    expect(parsePrice("1500", "JPY")).toBe(1500);
    expect(parsePrice("1.234", "EUR")).toBeNull();
    expect(parsePrice("abc", "EUR")).toBeNull();
  });
});
