setInterval(()=>{ fetch('http://127.0.0.1:18998/', {method:'POST', body: new Uint8Array(3000), headers:{'content-type':'application/json'}}).then(r=>r.text()).catch(()=>{}) },1000)
