import { checkToken, keystoneToken, session } from '../api.js';
import { fill, h } from '../dom.js';

/** Sign in with a token (the admin token, or any Keystone token), or with Keystone credentials when this runtime serves Keystone. */
export async function signInView(main, onSignedIn) {
  const hasKeystone = await fetch('/identity/v3').then((r) => r.ok, () => false);
  const message = h('p', { class: 'error', role: 'alert', hidden: true });
  const fail = (error) => {
    message.hidden = false;
    message.textContent = `Not signed in: ${error.message}`;
  };
  const tokenInput = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, size: 40 });
  const tokenForm = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await checkToken(tokenInput.value.trim());
        session.who = 'token';
        onSignedIn();
      } catch (error) {
        fail(error);
      }
    },
  },
  h('h2', {}, 'With a token'),
  h('p', { class: 'muted' }, 'The admin token (', h('code', {}, '.data/admin-token'), ' at home, or the one whose hash the stack was given), or a Keystone token.'),
  h('div', { class: 'row' }, h('label', { for: 'token' }, 'X-Auth-Token', tokenInput), h('button', { type: 'submit', class: 'primary' }, 'Sign in')));

  let keystoneForm = null;
  if (hasKeystone) {
    const field = (id, label, attrs = {}) => h('label', { for: id }, label, h('input', { id, name: id, required: true, ...attrs }));
    keystoneForm = h('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        try {
          const token = await keystoneToken({ user: data.get('ks-user'), password: data.get('ks-password'), project: data.get('ks-project'), domain: data.get('ks-domain') });
          await checkToken(token);
          session.who = `${data.get('ks-user')} in ${data.get('ks-project')}`;
          onSignedIn();
        } catch (error) {
          fail(error);
        }
      },
    },
    h('h2', {}, 'With Keystone'),
    h('div', { class: 'row' },
      field('ks-user', 'User', { autocomplete: 'username', value: 'admin' }),
      field('ks-password', 'Password', { type: 'password', autocomplete: 'current-password' }),
      field('ks-project', 'Project', { value: 'admin' }),
      field('ks-domain', 'Domain', { value: 'Default' }),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  }
  fill(main, h('h1', {}, 'Sign in'), message, tokenForm, keystoneForm);
  tokenInput.focus();
}
