// The login form: a username and password (HTTP Basic) or an API token (Bearer). The credentials
// are checked with GET /api/v1/me before they are kept for the session.
import { ApiError, saveCredentials, signIn, type Credentials } from '../api.js';
import { h } from '../dom.js';

export function renderLogin(root: HTMLElement, message: string, done: () => void): void {
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message);
  if (!message) error.hidden = true;
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const token = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'off' });
  const withPassword = h('fieldset', { class: 'stack' }, labelled('Username', user), labelled('Password', pass));
  const withToken = h('fieldset', { class: 'stack' }, labelled('API token', token));
  withToken.hidden = true;
  const modePassword = h('input', { type: 'radio', name: 'mode', value: 'password', checked: true });
  const modeToken = h('input', { type: 'radio', name: 'mode', value: 'token', id: 'login-mode-token' });
  const switchMode = (): void => {
    const useToken = modeToken.checked;
    withToken.hidden = !useToken;
    withPassword.hidden = useToken;
    user.required = pass.required = !useToken;
    token.required = useToken;
  };
  modePassword.addEventListener('change', switchMode);
  modeToken.addEventListener('change', switchMode);
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card login', id: 'login-form', novalidate: false },
    h('h1', {}, 'Sign in to Palisade'),
    h(
      'div',
      { class: 'modes', role: 'radiogroup' },
      h('label', {}, modePassword, ' Password'),
      h('label', {}, modeToken, ' API token'),
    ),
    withPassword,
    withToken,
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const creds: Credentials = modeToken.checked
      ? { kind: 'token', token: token.value.trim() }
      : { kind: 'basic', username: user.value, password: pass.value };
    submit.disabled = true;
    error.hidden = true;
    signIn(creds).then(
      () => {
        saveCredentials(creds);
        pass.value = token.value = '';
        done();
      },
      (err: unknown) => {
        submit.disabled = false;
        error.hidden = false;
        error.textContent =
          err instanceof ApiError && err.status === 401
            ? modeToken.checked
              ? 'This API token was not accepted.'
              : 'Wrong username or password.'
            : err instanceof ApiError
              ? err.message
              : 'Sign-in failed.';
      },
    );
  });
  root.appendChild(form);
  user.focus();
}

function labelled(text: string, input: HTMLInputElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, text), input);
}
