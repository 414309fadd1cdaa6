import { describe, expect, it } from "vitest";
import type { Product } from "../api/types";
import { applyStock, limitLabel, stockLabel } from "./stock";

const base = { available: 12, held: 0, sale_open: true };

describe("stock labels", () => {
  it("says how many are left", () => {
    expect(stockLabel(base)).toEqual({ text: "12 left", tone: "plenty" });
    expect(stockLabel({ ...base, available: 3 })).toEqual({ text: "Only 3 left", tone: "low" });
  });
  it("says sold out, and that carts may free units", () => {
    expect(stockLabel({ ...base, available: 0 }).text).toBe("Sold out");
    expect(stockLabel({ ...base, available: 0, held: 2 }).text).toMatch(/^Sold out · units in carts/);
  });
  it("marks a sale that has not opened", () => {
    expect(stockLabel({ ...base, sale_open: false }).tone).toBe("closed");
  });
  it("states the per-person limit", () => {
    expect(limitLabel(1)).toBe("Limit 1 per person");
    expect(limitLabel(3)).toBe("Limit 3 per person");
  });
});

describe("stock events", () => {
  const products = [{ id: 1, available: 5, held: 0, sold: 0 }, { id: 2, available: 1, held: 0, sold: 0 }] as Product[];

  it("applies newer versions and ignores older or repeated ones", () => {
    let state = applyStock(products, {}, { type: "stock", product_id: 1, available: 4, held: 1, sold: 0, version: 2 });
    expect(state.products[0]).toMatchObject({ available: 4, held: 1 });
    const stale = applyStock(state.products, state.versions, { type: "stock", product_id: 1, available: 5, held: 0, sold: 0, version: 1 });
    expect(stale.products).toBe(state.products);
    state = applyStock(state.products, state.versions, { type: "stock", product_id: 1, available: 3, held: 1, sold: 1, version: 3 });
    expect(state.products[0]).toMatchObject({ available: 3, sold: 1 });
    expect(state.products[1]).toBe(products[1]);
  });
});
