/**
 * The layer rules of Parley, checked by dependency-cruiser in `npm test` and `npm run test:unit`
 * (`npm run check:layers`). Imports point one way, from the top of this list to the bottom:
 *
 *   src/node      composition root, config, CLI: may import everything
 *   src/edge      gateway, REST, web page, health: the only code that imports uWebSockets.js
 *   cluster       membership, node bus, connection registry over Redis
 *   src/services  coordination both edges share (one-to-one and group sends, UserSig checks)
 *   actors/*      the actor kinds (user, group) and what they share (actors/*.ts)
 *   actors/runtime  the actor runtime: knows nothing of the app, imports only src/core
 *   src/store     store role interfaces; lmdb/ and cassandra/ implement them
 *   src/protocol  socket frames and their schemas, inbox and group events
 *   src/model     domain types and enums, declared once
 *   src/core      errors, ids and limits, codec, log, lru: imports nothing of Parley
 *
 *   src/client    the SDK: imports protocol and model only, and reaches no server code
 *
 * A layer may import any layer below it. Beyond the order: no cycle between files or between
 * folders (a cycle that only types cross counts too: `tsPreCompilationDeps`), store interfaces
 * never import an implementation, only the composition root imports concrete stores and
 * cluster implementations, and each service's client library stays inside the folder that
 * wraps it.
 */
const layer = {
  core: '^src/core/',
  model: '^src/model/',
  protocol: '^src/protocol/',
  store: '^src/store/',
  runtime: '^actors/runtime/',
  kinds: '^actors/(?!runtime/)',
  services: '^src/services/',
  cluster: '^cluster/',
  edge: '^src/edge/',
  node: '^src/node/',
  client: '^src/client/',
}
const any = (...names) => names.map((n) => layer[n]).join('|')
const parley = '^(src|actors|cluster)/'

/** `name` may import only its own layer and the ones listed. */
function only(name, ...below) {
  return {
    name: `layer-${name}`,
    comment: `${name} may import only ${[name, ...below].join(', ')}`,
    severity: 'error',
    from: { path: layer[name] },
    to: { path: parley, pathNot: any(name, ...below) },
  }
}

/** The npm package(s) matching `pkg` may be imported only from the folder matching `where`. */
function onlyIn(name, pkg, where) {
  return {
    name,
    comment: `only ${where} imports ${pkg}`,
    severity: 'error',
    from: { path: parley, pathNot: where },
    to: { path: `node_modules/(${pkg})/` },
  }
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle between files (type-only imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-circular',
      comment: 'no import cycle between folders',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    only('core'),
    only('model', 'core'),
    only('protocol', 'model', 'core'),
    only('store', 'protocol', 'model', 'core'),
    only('runtime', 'core'),
    only('kinds', 'runtime', 'store', 'protocol', 'model', 'core'),
    only('services', 'kinds', 'runtime', 'store', 'protocol', 'model', 'core'),
    only('cluster', 'kinds', 'runtime', 'protocol', 'model', 'core'),
    only('edge', 'services', 'kinds', 'runtime', 'store', 'protocol', 'model', 'core'),
    only('client', 'protocol', 'model'),
    {
      name: 'client-reaches-no-server-code',
      comment: 'the SDK ships on its own: nothing it reaches may be server code',
      severity: 'error',
      from: { path: layer.client },
      to: { reachable: true, path: parley, pathNot: any('client', 'protocol', 'model', 'core') },
    },
    {
      name: 'client-no-node-builtins',
      comment: 'the SDK runs in browsers: no Node built-in module',
      severity: 'error',
      from: { path: any('client', 'protocol', 'model', 'core') },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'client-packages',
      comment: 'the SDK and what it reaches depend on msgpackr and TypeBox only',
      severity: 'error',
      from: { path: any('client', 'protocol', 'model', 'core') },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: 'node_modules/(msgpackr|@sinclair/typebox)/' },
    },
    {
      name: 'store-interfaces-apart',
      comment: 'a store role interface never imports an implementation (its factory lives beside the implementation)',
      severity: 'error',
      from: { path: '^src/store/[^/]+$' },
      to: { path: '^src/store/(lmdb|cassandra)/' },
    },
    {
      name: 'implementations-from-node-only',
      comment: 'only the composition root picks concrete stores and cluster implementations',
      severity: 'error',
      from: { path: parley, pathNot: `${layer.node}|^src/store/(lmdb|cassandra)/|^cluster/` },
      to: { path: '^src/store/(lmdb|cassandra)/|^cluster/(Redis|Local|Static|Forwarded|Bus|redis)' },
    },
    onlyIn('uws-in-edge-only', 'uWebSockets\\.js|@trufflesuite/uws-js-unofficial', layer.edge),
    onlyIn('lmdb-in-lmdb-store-only', 'lmdb', '^src/store/lmdb/'),
    onlyIn('cassandra-in-cassandra-store-only', 'cassandra-driver', '^src/store/cassandra/'),
    onlyIn('redis-in-cluster-only', 'ioredis', '^cluster/'),
    {
      name: 'no-test-code',
      comment: 'shipped code never imports tests or benchmarks',
      severity: 'error',
      from: { path: parley },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
}
