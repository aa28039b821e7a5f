// The records view: lists, filters and deletes idempotency records through the Actuator
// endpoint, signed in with the demo login (HTTP Basic, sent by this script on each call).
'use strict';

(() => {
  const $ = id => document.getElementById(id);
  const SESSION = 'semel.records.authorization';
  let authorization = null;
  try { authorization = sessionStorage.getItem(SESSION); } catch (e) { /* sign in again */ }

  function message(text, error) {
    $('message').textContent = text;
    $('message').classList.toggle('error', !!error);
  }

  async function call(path, options = {}) {
    return fetch(path, {
      ...options,
      cache: 'no-store',
      credentials: 'omit',
      // X-Requested-With: the server then answers 401 without a Basic challenge, so the
      // browser does not open its own password dialog over this page's form.
      headers: { Accept: 'application/json', Authorization: authorization, 'X-Requested-With': 'XMLHttpRequest' },
    });
  }

  function explain(response) {
    switch (response.status) {
      case 401: return 'Wrong user name or password (the demo operator is ops / ops).';
      case 403: return 'This user may not see the records: the ops role is needed (alice and bob are customers).';
      case 404: return 'The idempotency endpoint is not exposed: set management.endpoints.web.exposure.include=health,idempotency.';
      default: return `The endpoint answered ${response.status}.`;
    }
  }

  function query() {
    const params = new URLSearchParams();
    const prefix = $('keyPrefix').value.trim();
    if (prefix) params.set('keyPrefix', prefix);
    if ($('state').value) params.set('state', $('state').value);
    for (const name of ['createdAfter', 'createdBefore']) {
      const value = $(name).value;
      if (value) params.set(name, new Date(value).toISOString());
    }
    const limit = $('limit').value.trim();
    if (limit) params.set('limit', limit);
    return params.toString();
  }

  /** "caller METHOD /route" (Scope.toString) into its caller and route; "-" is anonymous. */
  function splitScope(scope) {
    const match = /^(.*) ([A-Z]+ \S+)$/.exec(scope || '');
    if (!match) return { caller: '', route: scope || '' };
    return { caller: match[1] === '-' ? 'anonymous' : match[1], route: match[2] };
  }

  function time(value) {
    return value ? new Date(value).toLocaleString() : '';
  }

  function cell(text, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function row(record) {
    const tr = document.createElement('tr');
    tr.dataset.recordId = record.recordId;
    tr.dataset.key = record.key || '';
    const { caller, route } = splitScope(record.scope);
    tr.append(cell(record.key || '(not kept)', 'key'), cell(caller), cell(route, 'route'));
    const state = cell('');
    const badge = document.createElement('span');
    badge.className = `state-${record.state}`;
    badge.textContent = record.state;
    state.append(badge);
    tr.append(state);
    const response = record.response;
    tr.append(cell(response ? String(response.status) : ''), cell(time(record.createdAt), 'time'), cell(time(record.expiresAt), 'time'));
    const body = cell('');
    if (!response) {
      body.textContent = record.state === 'IN_PROGRESS' ? `lease until ${time(record.leaseDeadline)}` : '';
    } else if (response.body == null && response.bodyBase64 == null && response.headers == null) {
      body.textContent = `${response.bodyBytes} bytes, hidden`;
      body.title = 'semel.actuator.include-responses=false: stored bodies and headers are not shown';
    } else {
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = `${response.bodyBytes} bytes`;
      const pre = document.createElement('pre');
      pre.className = 'body';
      pre.textContent = (response.headers || []).map(h => `${h.name}: ${h.value}`).join('\n')
        + '\n\n' + (response.body ?? response.bodyBase64 ?? '');
      details.append(summary, pre);
      body.append(details);
    }
    tr.append(body);
    const actions = cell('');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'danger delete';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete the record of key ${record.key || record.recordId}`);
    remove.addEventListener('click', () => confirmDelete(record, remove));
    actions.append(remove);
    tr.append(actions);
    return tr;
  }

  /** Two steps instead of a native confirm(): usable with the keyboard and by tests alike. */
  function confirmDelete(record, button) {
    if (button.dataset.armed !== 'true') {
      button.dataset.armed = 'true';
      button.textContent = 'Confirm delete';
      message(`Press "Confirm delete" to delete the record of key ${record.key}: its key can then be used again.`);
      return;
    }
    button.disabled = true;
    call(`/actuator/idempotency/${encodeURIComponent(record.recordId)}`, { method: 'DELETE' })
      .then(async response => {
        if (!response.ok) {
          message(explain(response), true);
          return;
        }
        const result = await response.json();
        await list();
        message(result.deleted ? `Deleted the record of key ${record.key}.` : `The record of key ${record.key} was already gone.`);
      })
      .catch(e => message(`Could not reach the server: ${e.message}`, true));
  }

  async function list() {
    let response;
    try {
      response = await call(`/actuator/idempotency?${query()}`);
    } catch (e) {
      message(`Could not reach the server: ${e.message}`, true);
      return false;
    }
    if (!response.ok) {
      let detail = '';
      try { detail = (await response.json()).message || ''; } catch (e) { /* no body */ }
      message(response.status === 400 ? `Invalid filter: ${detail}` : explain(response), true);
      return response.status === 400;
    }
    const json = await response.json();
    $('records').replaceChildren(...json.records.map(row));
    message(`${json.count} record${json.count === 1 ? '' : 's'}, newest first.`);
    return true;
  }

  async function signIn(event) {
    event.preventDefault();
    authorization = 'Basic ' + btoa(`${$('user').value}:${$('password').value}`);
    const ok = await show();
    if (!ok) {
      authorization = null;
      $('password').focus();
    }
  }

  async function show() {
    $('records-panel').hidden = false;
    const ok = await list();
    if (ok) {
      try { sessionStorage.setItem(SESSION, authorization); } catch (e) { /* this page only */ }
      $('signin-panel').hidden = true;
      $('signed-in').textContent = `(signed in as ${atob(authorization.slice(6)).split(':')[0]})`;
    } else {
      try { sessionStorage.removeItem(SESSION); } catch (e) { /* nothing kept */ }
      $('records-panel').hidden = true;
      $('signin-panel').hidden = false;
      $('signin-title').textContent = 'Sign in';
      const text = $('message').textContent;
      let error = $('signin-error');
      if (!error) {
        error = document.createElement('p');
        error.id = 'signin-error';
        error.className = 'message error';
        error.setAttribute('role', 'alert');
        $('signin').after(error);
      }
      error.textContent = text;
    }
    return ok;
  }

  $('signin').addEventListener('submit', signIn);
  $('filters').addEventListener('submit', event => { event.preventDefault(); list(); });
  $('signout').addEventListener('click', () => {
    authorization = null;
    try { sessionStorage.removeItem(SESSION); } catch (e) { /* nothing kept */ }
    $('records').replaceChildren();
    $('records-panel').hidden = true;
    $('signin-panel').hidden = false;
    $('password').value = '';
    $('password').focus();
  });
  if (authorization) show();
  document.body.dataset.ready = 'true';
})();
