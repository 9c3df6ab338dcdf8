/**
 * What a resync writes as the lease owner of a delivery that is in flight. Clearing the lease would
 * let another instance claim the row while the first still talks to the target (two owners at once);
 * instead the row stays leased under a name no worker holds, so the owner's completion keeps only
 * its attempt and frees the row (or the lease simply expires if that owner died).
 */
export const REVOKED = 'revoked:';
export const revokedLease = (owner: string): string => `${REVOKED}${owner}`;
