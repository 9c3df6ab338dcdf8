import type { RunningSandbox } from '../sandbox';
import type { BenchDossier } from './land-dossiers';

/**
 * What the end-to-end benchmark reads at the simulated targets: how many steps the national portal
 * holds (cheap, to wait on), when it first held each one (its receive times), and whether every
 * dossier arrived whole: once at the province with every step once and in source order, at the
 * portal with every step and the final status at both.
 */
export function portalStepsHeld(sandbox: RunningSandbox): number {
  return sandbox.dvcqg.sim.state.receipts().reduce((n, r) => n + r.steps.size, 0);
}

/** Waits until the portal holds `steps` steps; answers whether it did within `timeoutMs`. */
export async function waitPortalHolds(sandbox: RunningSandbox, steps: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (portalStepsHeld(sandbox) >= steps) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** When the portal first held each event of each dossier (epoch ms), by dossier code; undefined where it never did. */
export function portalHeldAt(sandbox: RunningSandbox, dossiers: readonly BenchDossier[]): Map<string, (number | undefined)[]> {
  const receipts = new Map(sandbox.dvcqg.sim.state.receipts().map((r) => [r.MaHoSo, r.steps]));
  const out = new Map<string, (number | undefined)[]>();
  for (const d of dossiers) {
    const maHoSo = sandbox.province.sim.state.findBySource(d.code, 'land')?.maHoSo;
    const steps = maHoSo === undefined ? undefined : receipts.get(maHoSo);
    out.set(
      d.code,
      d.events.map((e) => steps?.get(e.portalKey)),
    );
  }
  return out;
}

export interface TargetCheck {
  dossiers: number;
  /** Dossiers held whole and right by both targets. */
  whole: number;
  /** Province dossiers whose steps are not in source order (each step once). */
  outOfOrder: number;
  /** Steps held twice by the province. */
  duplicated: number;
  /** Events neither target holds as a step (at the province or the portal). */
  missing: number;
  /** A few problems, for the log (codes and counts, no personal data). */
  examples: string[];
}

export function checkTargets(sandbox: RunningSandbox, dossiers: readonly BenchDossier[]): TargetCheck {
  const check: TargetCheck = { dossiers: dossiers.length, whole: 0, outOfOrder: 0, duplicated: 0, missing: 0, examples: [] };
  const problem = (m: string) => check.examples.length < 5 && check.examples.push(m);
  for (const d of dossiers) {
    const final = d.events.at(-1)!.status;
    const province = sandbox.province.sim.state.findBySource(d.code, 'land');
    if (!province) {
      check.missing += d.events.length;
      problem(`${d.code}: not held by the province`);
      continue;
    }
    const held = province.TienTrinh.map((s) => Math.floor(Date.parse(String(s['ThoiDiemXuLy'])) / 1000));
    const wanted = d.events.map((e) => Math.floor(e.at / 1000));
    const distinct = new Set(held);
    check.duplicated += held.length - distinct.size;
    const lacking = wanted.filter((t) => !distinct.has(t)).length;
    let ok = lacking === 0 && held.length === wanted.length;
    if (lacking === 0 && distinct.size === held.length && held.some((t, i) => t !== wanted[i])) {
      check.outOfOrder++;
      ok = false;
      problem(`${d.code}: province steps out of source order`);
    }
    if (province.TrangThai !== final) {
      ok = false;
      problem(`${d.code}: province status ${String(province.TrangThai)} instead of ${final}`);
    }
    const portal = sandbox.dvcqg.sim.state.dossier(province.maHoSo);
    const keys = new Set((portal?.TienDo ?? []).map((s) => `${String(s['ThoiDiemXuLy'])}|${String(s['TrangThai'])}`));
    const portalLacking = d.events.filter((e) => !keys.has(e.portalKey)).length;
    check.missing += Math.max(lacking, portalLacking);
    if (portalLacking > 0 || portal?.['TrangThaiHoSo'] !== String(final)) {
      ok = false;
      problem(`${d.code}: the portal lacks ${portalLacking} steps or holds status ${String(portal?.['TrangThaiHoSo'])} instead of ${final}`);
    }
    if (ok) check.whole++;
  }
  return check;
}
