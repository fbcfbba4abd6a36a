// A real OpenID provider (npm oidc-provider, a certified implementation) for tests/test_sso.py: the app's single
// sign-on is exercised against it end to end, in Chromium. Test-only; never shipped with the app.
//
// Configured by one JSON document in the environment variable OIDC_TEST_CONFIG:
//   { "port": 0, "client_id": "...", "client_secret": "...", "redirect_uri": "http://localhost:P/oauth2callback",
//     "accounts": [{ "sub": "...", "login": "...", "password": "...", "name": "...",
//                    "email": "..." or null (no email claim), "email_verified": true or false }] }
// Prints one line `ready <issuer>` on stdout once listening (port 0 picks a free one), and runs until killed.
//
// Its own sign-in page stands in for an institution's: a login and a password from `accounts`. It also answers
// `prompt=select_account` (Streamlit's default; oidc-provider alone would refuse it as unsupported, which real
// institutional providers such as Entra ID do not). Consent is granted without asking, as an institution's
// provider does for its own applications. No page loads anything from outside the machine.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
const accounts = new Map(config.accounts.map((a) => [a.sub, a]));
// What is typed on the sign-in page: `login`, which is the email unless an account says otherwise (one with no
// email, or one whose unverified email is someone else's).
const byLogin = new Map(config.accounts.map((a) => [(a.login ?? a.email).toLowerCase(), a]));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input,button{display:block;margin:.5rem 0}
input{width:100%}.error{color:#b00020}</style></head><body><h1>${escape(title)}</h1>${body}</body></html>`;

// select_account is made requestable so the request is accepted; the sign-in page below resolves it together
// with login (it is the account chooser).
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

function signInForm(uid, error, login = '') {
  return page(
    'Test University sign-in',
    `${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Email or username</label><input id="login" name="login" value="${escape(login)}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Continue</button></form>`,
  );
}

// Each run signs its ID tokens with a key of its own (nothing to keep between runs).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const listener = http.createServer();
await new Promise((resolve) => { listener.listen(config.port ?? 0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${listener.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    // Streamlit's st.logout sends the user back to its redirect_uri after the provider's sign-out.
    post_logout_redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'test' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit reads who signed in from the ID token only (it never calls the userinfo endpoint), and the
  // institutional providers it is used with put the scope's claims there: do the same.
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const email = account.email ? { email: account.email, email_verified: account.email_verified ?? true } : {};
        return { sub, name: account.name, ...email };
      },
    };
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    // The institution's own application: consent is implied.
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out of Test University?', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out of Test University', '<p>You have signed out.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Test University: error', `<pre>${escape(JSON.stringify(out, null, 2))}</pre>`);
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(signInForm(uid, '', details.params.login_hint ?? ''));
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const login = (form.get('login') ?? '').trim();
    const account = byLogin.get(login.toLowerCase());
    const given = Buffer.from(form.get('password') ?? '');
    const wanted = Buffer.from(account?.password ?? '');
    if (!account || given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(signInForm(uid, 'Wrong email or password.', login));
      return;
    }
    await provider.interactionFinished(req, res, { select_account: {}, login: { accountId: account.sub } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  res.writeHead(404).end();
}

const handle = provider.callback();
listener.on('request', (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('interaction failed');
  });
});
process.on('SIGTERM', () => { listener.close(); process.exit(0); });
console.log(`ready ${issuer}`);
