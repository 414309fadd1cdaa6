import { request } from "./http";
import type { Product, ProductIn, ProductPatch } from "./types";

export function listProducts(showId: number): Promise<Product[]> {
  return request<Product[]>(`/api/v1/shows/${showId}/products`, { auth: false });
}

export function getProduct(id: number): Promise<Product> {
  return request<Product>(`/api/v1/products/${id}`, { auth: false });
}

export function addProduct(showId: number, body: ProductIn): Promise<Product> {
  return request<Product>(`/api/v1/shows/${showId}/products`, { method: "POST", body });
}

export function updateProduct(id: number, body: ProductPatch): Promise<Product> {
  return request<Product>(`/api/v1/products/${id}`, { method: "PATCH", body });
}

export function deleteProduct(id: number): Promise<void> {
  return request<void>(`/api/v1/products/${id}`, { method: "DELETE" });
}

/** Opens or closes a product's sale (its host). */
export function setSaleOpen(id: number, open: boolean): Promise<Product> {
  return request<Product>(`/api/v1/products/${id}/sale/${open ? "open" : "close"}`, { method: "POST" });
}
