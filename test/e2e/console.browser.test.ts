import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_ADMIN_PASSWORD, createWorld, type World } from '../support/world';
import { waitFor } from '../support/gateway-process';

/**
 * The console in a real headless browser (Debian's chromium driven by playwright-core): an
 * operator signs in, finds a dossier whose delivery the province rejected, fixes the cause,
 * replays it and sees it delivered. Screenshots of the overview and the dossier view are saved.
 */
const SHOTS = join(new URL('../../', import.meta.url).pathname, 'test-results', 'screenshots');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

describe('operator console in a browser', () => {
  let world: World;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    world = await createWorld({ seed: 41 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('signs in, finds a rejected delivery, replays it after the fix, and sees it delivered', { timeout: 180_000 }, async () => {
    const gateway = await world.startGateway();
    const civil = world.sandbox.civilStatus.sim;
    const province = world.sandbox.province.sim.state;
    // Some traffic for the overview, and one dossier we will follow up to a supplement request.
    void civil.generator.run({ count: 20, durationMs: 5_000, seed: 41, unmappedShare: 0.2 });
    let code = '';
    // Received at creation (status 3); the first planned change must be a supplement request.
    for (let seed = 1; !code && seed < 100; seed++) {
      const candidate = civil.generator.create({ seed, unmappedShare: 0, pendingShare: 0, changes: [3, 4] });
      if (civil.generator.pendingSteps(candidate)[0] === 'supplement') code = candidate;
    }
    expect(code).not.toBe('');
    const held = await waitFor('the province holding the dossier', () => province.findBySource(code, 'civil-status'), 60_000);
    await waitFor('the portal holding it too', () => world.sandbox.dvcqg.sim.state.dossier(held.maHoSo), 60_000);
    // A provincial clerk closes the dossier there by mistake (refused, status 3); then the
    // commune asks for a supplement, which the province now refuses as a status change.
    province.tamper(held.idHoSo, (d) => void (d.fields['TrangThai'] = 3));
    civil.generator.advance(code);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${gateway.url}/console`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', E2E_ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${gateway.url}/console`);
    expect(await page.textContent('h1')).toBe('Tổng quan');

    // The rejection shows up among the problems, grouped by its reason.
    const group = page.locator('[data-group="province:PROVINCE_TRANG_THAI_KHONG_HOP_LE"]');
    await waitFor('the rejection on the problems page', async () => {
      await page.goto(`${gateway.url}/console/problems`);
      return (await group.count()) > 0;
    }, 60_000, 500);
    await group.locator(`a:has-text("${code}")`).click();
    await page.waitForURL(/\/console\/dossiers\/civil-status\//);
    const provinceCard = page.locator('[data-delivery=province]');
    expect(await provinceCard.locator('[data-state]').textContent()).toBe('failed');
    expect(await provinceCard.textContent()).toContain('TRANG_THAI_KHONG_HOP_LE');
    await page.screenshot({ path: join(SHOTS, 'dossier-rejected.png'), fullPage: true });

    // The provincial clerk reopens the dossier (the cause); the operator replays the delivery.
    province.tamper(held.idHoSo, (d) => void (d.fields['TrangThai'] = 4));
    await provinceCard.locator('button:has-text("Gửi lại")').click();
    await page.waitForSelector('.flash');
    await waitFor('the delivery to be delivered', async () => {
      await page.reload();
      return (await provinceCard.locator('[data-state]').textContent()) === 'delivered';
    }, 60_000, 500);
    expect(province.findBySource(code, 'civil-status')!['TrangThai']).toBe(5);
    await page.screenshot({ path: join(SHOTS, 'dossier.png'), fullPage: true });

    // The same search finds it by its one-stop code; the overview shows both targets.
    await page.goto(`${gateway.url}/console/dossiers?q=${encodeURIComponent(held.maHoSo)}`);
    expect(await page.locator(`a:has-text("${code}")`).count()).toBe(1);
    await page.goto(`${gateway.url}/console?lang=en`);
    expect(await page.textContent('h1')).toBe('Overview');
    expect(await page.locator('[data-target=province] .light').count()).toBe(1);
    await page.goto(`${gateway.url}/console?lang=vi`);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

    // The replay is in the audit log under the operator's name.
    await page.goto(`${gateway.url}/console/admin`);
    expect(await page.locator('td code:has-text("deliveries.replay")').count()).toBeGreaterThan(0);
    expect(await page.textContent('.flash')).toContain('toàn vẹn');
  });
});
