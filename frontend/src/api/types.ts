// Names for the API's shapes. Everything here comes from the generated OpenAPI types
// (schema.gen.ts, `npm run gen:api`); contracts.ts holds the shapes of endpoints not yet published.
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type User = Schemas["UserOut"];
export type Tokens = Schemas["TokensOut"];
export type LoginIn = Schemas["LoginIn"];
export type RegisterIn = Schemas["RegisterIn"];
export type Show = Schemas["ShowOut"];
export type ShowIn = Schemas["ShowIn"];
export type ShowPatch = Schemas["ShowPatch"];
export type ShowStatus = Schemas["ShowStatus"];
export type StreamKey = Schemas["StreamKeyOut"];
export type Product = Schemas["ProductOut"];
export type ProductIn = Schemas["ProductIn"];
export type ProductPatch = Schemas["ProductPatch"];
export type SaleMode = Schemas["SaleMode"];
export type Role = Schemas["Role"];

export type HighlightIn = Schemas["HighlightRequest"];
export type Highlight = Schemas["HighlightOut"];
export type Timeline = Schemas["TimelineOut"];
export type TimelineEntry = Schemas["TimelineEntryOut"];
export type ChatMessage = Schemas["ChatMessageOut"];
export type ChatHistory = Schemas["ChatHistoryOut"];
export type ChatSettings = Schemas["ChatSettingsOut"];
export type RestrictionIn = Schemas["RestrictionRequest"];

export type HoldIn = Schemas["HoldIn"];
export type Hold = Schemas["HoldOut"];
export type CheckoutIn = Schemas["CheckoutIn"];
export type Order = Schemas["OrderOut"];
export type ShowSales = Schemas["ShowSales"];
export type ProductSales = Schemas["ProductSales"];

// Fair drops: the waiting room (queue mode), raffles, drop rules, the per-show purchase limit.
export type Ticket = Schemas["TicketOut"];
export type TicketStatus = Schemas["TicketStatus"];
export type QueueRoom = Schemas["QueueOut"];
export type Raffle = Schemas["RaffleOut"];
export type RaffleStatus = Schemas["RaffleStatus"];
export type RaffleEntry = Schemas["EntryOut"];
export type RaffleEntries = Schemas["RaffleEntriesOut"];
export type RaffleOpenIn = Schemas["RaffleOpenIn"];
export type DropRules = Schemas["DropRulesOut"];
export type DropRulesIn = Schemas["DropRulesIn"];
export type ShowLimit = Schemas["ShowLimitOut"];
export type ShowLimitIn = Schemas["ShowLimitIn"];
