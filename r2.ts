import { gzipSync } from 'node:zlib';
const o = {a: Array.from({length: 300}, (_, i) => ({labels: {core: String(i)}, value: i * 1.5}))};
setInterval(()=>{ gzipSync(JSON.stringify(o)) },1000)
