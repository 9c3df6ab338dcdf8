import type { TargetSystem } from '../../contracts';
import type { GatewayError } from '../lib/errors';
import type { ClaimedDelivery, DeliveryProgress } from '../store/types';

/** What a target client reports for one delivery: what the target now holds, and the failure if any. */
export interface DeliveryOutcome {
  id: number;
  progress: DeliveryProgress;
  operations: string[];
  error?: GatewayError;
}

/**
 * A target. `deliver` receives claimed deliveries (at most `batchSize`) and must report an outcome
 * for each, never throw: a failure that hits the whole call is reported on every delivery in it.
 */
export interface TargetClient {
  readonly target: TargetSystem;
  /** The target that must hold a dossier before this one may receive it. */
  readonly after?: TargetSystem;
  readonly batchSize: number;
  readonly concurrency: number;
  deliver(work: readonly ClaimedDelivery[]): Promise<DeliveryOutcome[]>;
}
