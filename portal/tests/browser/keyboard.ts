import { expect, type Locator, type Page } from '@playwright/test';

/** Presses Tab until `target` has the focus, as a keyboard user would; fails when it is never reached. */
export async function tabTo(page: Page, target: Locator, most = 40): Promise<void> {
  for (let i = 0; i < most; i += 1) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target, `not reachable with Tab within ${most} presses`).toBeFocused();
}
