import type { ShowStatus } from "../api/types";

const LABELS: Record<ShowStatus, string> = {
  scheduled: "Upcoming",
  live: "Live",
  idle: "Paused",
  ended: "Replay",
};

export function StatusBadge({ status }: { status: ShowStatus }) {
  return <span className={`badge badge-${status}`}>{LABELS[status] ?? status}</span>;
}
