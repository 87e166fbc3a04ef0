// SPDX-License-Identifier: Apache-2.0
// Drives a simulator with Segment's official TypeScript SDK through every read the streams use.
//
//   node drive.js <base-url> <token> [page-count] [child-page-count]
//
// Every list is followed to its last page. The raw JSON of every 200 answer is compared with the
// SDK's own type information (each model's attributeTypeMap, recursively, enums included): a key
// the model does not know, a value of the wrong JSON type or an enum value outside the model's is
// a finding. The only exceptions are the keys listed, per model and with their reason, in
// allowed_unknown_keys.json (fields of newer official models, fields the real API is documented to
// send, the simulator's stand-in for a future field); they are reported, not findings. Exit 0 only when every call succeeded and nothing was
// found; the last stdout line is a JSON summary for tests/e2e/test_official_sdk.py.
'use strict';

const fs = require('fs');
const path = require('path');

let sdk;
try {
  sdk = require('@segment/public-api-sdk-typescript');
} catch (e) {
  console.error(
      'tests/sdk: @segment/public-api-sdk-typescript is not installed (' + e.message + '); ' +
      'run scripts/install-deps, which runs `npm ci` in tests/sdk');
  process.exit(3);
}

let pageCount = 200;
let childPageCount = 200;  // for the lists under a source or destination

const allowed = JSON.parse(fs.readFileSync(path.join(__dirname, 'allowed_unknown_keys.json'), 'utf8'));
const allowedSeen = {};  // category -> Set of "Model.key" met
for (const category of Object.keys(allowed)) {
  if (category !== 'about') {
    allowedSeen[category] = new Set();
  }
}

// Which category of allowed_unknown_keys.json lets `key` through on `model`, if any.
function allowedCategory(model, key) {
  return Object.keys(allowedSeen).find((c) => (allowed[c].fields[model] || {})[key] !== undefined);
}
let apis;

const findings = new Map();   // problem, indices elided -> {count, example}; the test fails on any
const calls = {};             // operation -> responses
const pagesBeyondFirst = {};  // operation -> pages after the first

function finding(text) {
  const kind = text.replace(/\[\d+\]/g, '[]').replace(/\{[^}]*\}/g, '');
  const seen = findings.get(kind);
  if (seen) {
    ++seen.count;
  } else {
    findings.set(kind, {count: 1, example: text});
  }
}

function printFindings() {
  for (const [kind, {count, example}] of findings) {
    console.log(`FINDING ${count}x ${kind}\n  e.g. ${example}`);
  }
}

function jsonType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// The model class for a type name, or undefined for primitives, maps and `any`.
function modelOf(type) {
  const cls = sdk[type];
  return cls && typeof cls.getAttributeTypeMap === 'function' ? cls : undefined;
}

// `Model.FieldEnum` -> the enum object, as the SDK's ObjectSerializer resolves it.
function enumOf(type) {
  const dot = type.indexOf('.');
  if (dot < 0) return undefined;
  const owner = sdk[type.slice(0, dot)];
  return owner ? owner[type.slice(dot + 1)] : undefined;
}

function check(value, type, where) {
  if (value === undefined || value === null) {
    // Nullability is not in the SDK's runtime type information; the JSON Schema tests own it.
    return;
  }
  const actual = jsonType(value);
  if (type.startsWith('Array<')) {
    if (actual !== 'array') {
      finding(`${where}: the SDK expects an array (${type}), got ${actual}`);
      return;
    }
    const inner = type.slice('Array<'.length, -1);
    value.forEach((item, i) => check(item, inner, `${where}[${i}]`));
    return;
  }
  const model = modelOf(type);
  if (model) {
    if (actual !== 'object') {
      finding(`${where}: the SDK expects an object (${type}), got ${actual}`);
      return;
    }
    const attributes = model.getAttributeTypeMap();
    const known = new Map(attributes.map((a) => [a.baseName, a.type]));
    for (const key of Object.keys(value)) {
      if (known.has(key)) {
        check(value[key], known.get(key), `${where}.${key}`);
        continue;
      }
      const category = allowedCategory(type, key);
      if (category) {
        allowedSeen[category].add(`${type}.${key}`);
      } else {
        finding(`${where}: key ${JSON.stringify(key)} is unknown to the SDK's ${type}`);
      }
    }
    return;
  }
  const enumeration = enumOf(type);
  if (enumeration) {
    const values = Object.values(enumeration);
    if (!values.includes(value)) {
      finding(`${where}: ${JSON.stringify(value)} is not one of ${type} (${values.join(', ')})`);
    }
    return;
  }
  const primitive = {string: 'string', number: 'number', boolean: 'boolean'}[type];
  if (primitive && actual !== primitive) {
    finding(`${where}: the SDK expects ${type}, got ${actual}`);
  }
  // Anything else (`any`, `object`, `{ [key: string]: any; }`) is free-form.
}

// One SDK call: the SDK's own promise (it throws on any non-2xx answer or transport error), then
// the raw body checked against the response model the SDK deserialises it into.
async function call(operation, responseType, promise, where) {
  calls[operation] = (calls[operation] || 0) + 1;
  let result;
  try {
    result = await promise;
  } catch (e) {
    const status = e && e.statusCode !== undefined ? ` (HTTP ${e.statusCode})` : '';
    const body = e && e.body ? ' ' + JSON.stringify(e.body).slice(0, 300) : '';
    throw new Error(`${operation} ${where}: the SDK threw${status}: ${e && e.message}${body}`);
  }
  const raw = result.response.body;
  check(raw, responseType, `${operation}{${where}}`);
  if (!result.body || !result.body.data) {
    throw new Error(`${operation} ${where}: the SDK's model has no data`);
  }
  return result.body.data;
}

// Every page of one list; returns its items (as the SDK deserialised them).
async function all(operation, responseType, listKey, fetchPage, where = '', count = pageCount) {
  const items = [];
  let cursor;
  for (let page = 0;; ++page) {
    const pagination = new sdk.PaginationInput();
    pagination.count = count;
    if (cursor !== undefined) {
      pagination.cursor = cursor;
    }
    const data = await call(operation, responseType, fetchPage(pagination), `${where} page ${page}`);
    if (!Array.isArray(data[listKey])) {
      throw new Error(`${operation} ${where}: data.${listKey} is not a list`);
    }
    items.push(...data[listKey]);
    if (page > 0) {
      pagesBeyondFirst[operation] = (pagesBeyondFirst[operation] || 0) + 1;
    }
    cursor = data.pagination ? data.pagination.next : undefined;
    if (!cursor) {
      return items;
    }
  }
}

// At most `limit` promises at a time, in order.
async function pooled(inputs, limit, fn) {
  let next = 0;
  const workers = Array.from({length: limit}, async () => {
    while (next < inputs.length) {
      const input = inputs[next++];
      await fn(input);
    }
  });
  await Promise.all(workers);
}

function months(count) {
  const now = new Date();
  const out = [];
  for (let i = 0; i < count; ++i) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

async function main() {
  const counts = {};
  const top = [
    ['listSources', 'ListSources200Response', 'sources', (p) => apis.sources.listSources(p)],
    ['listDestinations', 'ListDestinations200Response', 'destinations',
     (p) => apis.destinations.listDestinations(p)],
    ['listWarehouses', 'ListWarehouses200Response', 'warehouses',
     (p) => apis.warehouses.listWarehouses(p)],
    ['getSourcesCatalog', 'GetSourcesCatalog200Response', 'sourcesCatalog',
     (p) => apis.catalog.getSourcesCatalog(p)],
    ['getDestinationsCatalog', 'GetDestinationsCatalog200Response', 'destinationsCatalog',
     (p) => apis.catalog.getDestinationsCatalog(p)],
    ['getWarehousesCatalog', 'GetWarehousesCatalog200Response', 'warehousesCatalog',
     (p) => apis.catalog.getWarehousesCatalog(p)],
    ['listUsers', 'ListUsers200Response', 'users', (p) => apis.iamUsers.listUsers(p)],
    ['listUserGroups', 'ListUserGroups200Response', 'userGroups',
     (p) => apis.iamGroups.listUserGroups(p)],
    ['listTransformations', 'ListTransformations200Response', 'transformations',
     (p) => apis.transformations.listTransformations(p)],
  ];
  const lists = {};
  for (const [operation, type, key, fetchPage] of top) {
    lists[key] = await all(operation, type, key, fetchPage);
    counts[operation] = lists[key].length;
  }

  const children = {connectedDestinations: 0, connectedWarehouses: 0, subscriptions: 0};
  await pooled(lists.sources, 8, async (source) => {
    const destinations = await all(
        'listConnectedDestinationsFromSource', 'ListConnectedDestinationsFromSource200Response',
        'destinations', (p) => apis.sources.listConnectedDestinationsFromSource(source.id, p),
        source.id, childPageCount);
    const warehouses = await all(
        'listConnectedWarehousesFromSource', 'ListConnectedWarehousesFromSource200Response',
        'warehouses', (p) => apis.sources.listConnectedWarehousesFromSource(source.id, p),
        source.id, childPageCount);
    children.connectedDestinations += destinations.length;
    children.connectedWarehouses += warehouses.length;
  });
  await pooled(lists.destinations, 8, async (destination) => {
    const subscriptions = await all(
        'listSubscriptionsFromDestination', 'ListSubscriptionsFromDestination200Response',
        'subscriptions',
        (p) => apis.destinations.listSubscriptionsFromDestination(destination.id, p),
        destination.id, childPageCount);
    children.subscriptions += subscriptions.length;
    await call(
        'listDeliveryMetricsSummaryFromDestination',
        'ListDeliveryMetricsSummaryFromDestination200Response',
        apis.destinations.listDeliveryMetricsSummaryFromDestination(
            destination.id, destination.sourceId),
        destination.id);
  });
  Object.assign(counts, children);

  // The current month and the one before it: a month still filling, and a closed one.
  const usage = [
    ['getDailyWorkspaceAPICallsUsage', 'GetDailyWorkspaceAPICallsUsage200Response',
     'dailyWorkspaceAPICallsUsage', (m, p) => apis.apiCalls.getDailyWorkspaceAPICallsUsage(m, p)],
    ['getDailyPerSourceAPICallsUsage', 'GetDailyPerSourceAPICallsUsage200Response',
     'dailyPerSourceAPICallsUsage', (m, p) => apis.apiCalls.getDailyPerSourceAPICallsUsage(m, p)],
    ['getDailyWorkspaceMTUUsage', 'GetDailyWorkspaceMTUUsage200Response',
     'dailyWorkspaceMTUUsage',
     (m, p) => apis.monthlyTrackedUsers.getDailyWorkspaceMTUUsage(m, p)],
    ['getDailyPerSourceMTUUsage', 'GetDailyPerSourceMTUUsage200Response',
     'dailyPerSourceMTUUsage',
     (m, p) => apis.monthlyTrackedUsers.getDailyPerSourceMTUUsage(m, p)],
  ];
  for (const [operation, type, key, fetchPage] of usage) {
    counts[operation] = 0;
    for (const month of months(2)) {
      const rows = await all(operation, type, key, (p) => fetchPage(month, p), month);
      counts[operation] += rows.length;
    }
  }

  // From well before the oldest event the simulator keeps (200 days under its default,
  // --audit-old-start keep-all), so the whole trail is read.
  const start = new Date(Date.now() - 400 * 86400000).toISOString();
  const events = await all('listAuditEvents', 'ListAuditEvents200Response', 'events',
                           (p) => apis.auditTrail.listAuditEvents(p, start), start);
  counts.listAuditEvents = events.length;
  return counts;
}

function run() {
  const [baseUrl, token, countText, childCountText] = process.argv.slice(2);
  if (!baseUrl || !token) {
    console.error('usage: node drive.js <base-url> <token> [page-count] [child-page-count]');
    process.exit(2);
  }
  pageCount = Number(countText || '200');
  childPageCount = Number(childCountText || pageCount);
  apis = sdk.configureApis(token);
  for (const api of Object.values(apis)) {
    api.basePath = baseUrl;
  }
  main().then(
      (counts) => {
        printFindings();
        console.log(JSON.stringify({
          sdk: require('@segment/public-api-sdk-typescript/package.json').version,
          calls,
          counts,
          pagesBeyondFirst,
          allowedUnknownKeys: Object.fromEntries(
              Object.entries(allowedSeen).map(([c, seen]) => [c, [...seen].sort()])),
          findings: findings.size,
        }));
        process.exit(findings.size === 0 ? 0 : 1);
      },
      (e) => {
        printFindings();
        console.error('tests/sdk: ' + (e && e.stack ? e.stack : e));
        process.exit(1);
      });
}

// `node drive.js ...` drives a simulator; tests require() it to check the checker itself.
if (require.main === module) {
  run();
}
module.exports = {check, findings};
