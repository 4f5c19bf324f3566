import { ApiError, checkToken, session } from './api.js';
import { fill, h } from './dom.js';
import { eventsView } from './views/events.js';
import { poolsView } from './views/pools.js';
import { shareView } from './views/share.js';
import { sharesView } from './views/shares.js';
import { signInView } from './views/signin.js';

/**
 * The operator's console (issue 18): a page of plain ES modules served by the runtime at /console, no
 * build step and nothing from another host. Hash routes: #/shares, #/shares/<id>, #/pools, #/events.
 */
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
let generation = 0;

async function route() {
  const current = ++generation;
  const isCurrent = () => current === generation;
  if (!session.token) {
    showChrome(false);
    await signInView(main, () => {
      location.hash = '#/shares';
      route();
    });
    return;
  }
  showChrome(true);
  const [pathPart, queryPart = ''] = location.hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(queryPart);
  const parts = (pathPart || '/shares').split('/').filter(Boolean).map(decodeURIComponent);
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${parts[0]}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    if (parts[0] === 'shares' && parts[1]) {
      await shareView(main, parts[1], isCurrent);
    } else {
      // Drawn aside and shown only if still wanted: a slow answer never covers a later page.
      const page = document.createElement('div');
      if (parts[0] === 'pools') await poolsView(page);
      else if (parts[0] === 'events') await eventsView(page, query);
      else await sharesView(page, query);
      if (isCurrent()) main.replaceChildren(...page.childNodes);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.token = null;
      route();
      return;
    }
    if (isCurrent()) fill(main, h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, error.message));
  }
  if (isCurrent()) main.focus({ preventScroll: true });
}

function showChrome(signedIn) {
  nav.hidden = !signedIn || !session.isAdmin;
  signOut.hidden = !signedIn;
  document.getElementById('who').textContent = signedIn ? `${session.who || 'signed in'}${session.isAdmin ? ' · admin' : ''}` : '';
}

signOut.addEventListener('click', () => {
  session.token = null;
  location.hash = '';
  route();
});
window.addEventListener('hashchange', route);

// A token kept in this tab's session storage signs in again after a reload.
if (session.token) {
  checkToken(session.token).catch(() => (session.token = null)).finally(route);
} else {
  route();
}
