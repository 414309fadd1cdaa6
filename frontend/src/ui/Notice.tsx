import type { ReactNode } from "react";

/** A message in the page's flow; errors are announced to screen readers at once. */
export function Notice({
  tone = "info",
  children,
  onDismiss,
}: {
  tone?: "info" | "error" | "success" | "warning";
  children: ReactNode;
  onDismiss?: () => void;
}) {
  return (
    <div className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"}>
      <div className="notice-body">{children}</div>
      {onDismiss && (
        <button type="button" className="btn-icon" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
