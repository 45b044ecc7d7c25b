/** The REST API's public surface: install it on a uWS app; see install.ts for the pipeline. */
export { installRest, type RestDeps } from './install.js'
export type { RestSigVerifier } from './auth.js'
