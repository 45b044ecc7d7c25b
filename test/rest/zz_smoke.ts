import { startServer } from '../helpers/server.js'
const t0 = Date.now()
const s = await startServer()
console.log('started', Date.now() - t0, s.url)
await s.stop()
console.log('stopped', Date.now() - t0)
