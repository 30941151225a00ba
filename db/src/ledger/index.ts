// @acog/db/ledger: the cost ledger (one row per finished stage attempt), spend queries and the
// budget reservations the operator's budget gate takes atomically.
export {
  Ledger,
  type AttemptKey,
  type AttemptOutcome,
  type ChannelSpend,
  type LedgerEntry,
  type MonthlySpend,
  type ReservationDecision,
  type ReservationRequest,
  type StageProviderSpend,
} from './ledger.ts';
