// A Node Playwright client of a served Plone add-on layer, as a Playwright
// Test suite in another process would be: run by test_serve_plone.py as
//   node serve_client.js URL CONTROL USER PASSWORD
// It adds a page through Plone's add form in Debian's Chromium, sees it,
// resets the served layer through the control endpoint, and sees the page
// gone; it prints one JSON line of what it saw. playwright-core comes from
// ci/node/node_modules (NODE_PATH), the browser by path.
"use strict";
const { chromium } = require("playwright-core");

const [url, control, user, password] = process.argv.slice(2);
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic",
];

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BINARY || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    timeout: 60000,
  });
  try {
    const credentials = Buffer.from(`${user}:${password}`).toString("base64");
    const context = await browser.newContext({
      extraHTTPHeaders: { Authorization: `Basic ${credentials}` },
    });
    context.setDefaultTimeout(30000);
    const page = await context.newPage();
    const seen = {};
    await page.goto(`${url}/plone/++add++Document`);
    await page.fill("#form-widgets-IDublinCore-title", "Made from Node");
    await Promise.all([
      page.waitForURL(`${url}/plone/made-from-node/view`),
      page.click("#form-buttons-save"),
    ]);
    seen.created = (await page.goto(`${url}/plone/made-from-node`)).status();
    seen.heading = await page.textContent("h1");
    seen.reset = (await context.request.post(`${control}/reset`)).status();
    seen.after = (await page.goto(`${url}/plone/made-from-node`)).status();
    console.log(JSON.stringify(seen));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`error: ${String(error.message).split("\n")[0]}`);
  process.exit(1);
});
