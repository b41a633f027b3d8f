// jiuzhu's page scripts: small behaviours wired by data attributes, loaded from the site
// itself so that the Content Security Policy (script-src 'self') lets them run. Every page
// works without them.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  // A "select all" box ticks or clears the boxes named in its data-select-all (a selector).
  for (const all of document.querySelectorAll('input[data-select-all]')) {
    all.addEventListener('change', () => {
      for (const box of document.querySelectorAll(all.dataset.selectAll)) {
        box.checked = all.checked;
      }
    });
  }
  // A print button prints the page.
  for (const b of document.querySelectorAll('button[data-print]')) {
    b.addEventListener('click', () => window.print());
  }
});
