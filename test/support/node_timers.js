// Node's answers for test/timers_node.cpp: each scenario below has a C++
// twin there, and both print one line per scenario, "name: trace". The
// scenarios are ones whose trace Node's timer rules fix whatever the
// machine's load (only orders and rules, no measured times are printed).
'use strict';

const busy = (ms) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
};

const scenarios = {
  // Equal delays set in one go run in the order they were set; a delay
  // under 1 ms is 1 ms.
  'same-time order': (out, done) => {
    setTimeout(() => out.push('a'), 1);
    setTimeout(() => out.push('b'), 0);
    setTimeout(() => out.push('c'), 1);
    setTimeout(() => out.push('d'), -5);
    setTimeout(() => { out.push('e'); done(); }, 200);
  },
  // A timer set by a running timer waits for the ones already due.
  'set from a timer': (out, done) => {
    setTimeout(() => {
      out.push('a');
      setTimeout(() => { out.push('b'); done(); }, 0);
    }, 1);
    setTimeout(() => out.push('c'), 1);
  },
  // clearInterval from the interval's own callback stops it.
  'interval cleared by itself': (out, done) => {
    let runs = 0;
    const iv = setInterval(() => {
      out.push('i' + ++runs);
      if (runs === 3) {
        clearInterval(iv);
        setTimeout(done, 50);
      }
    }, 5);
  },
  // An interval and a timeout interleave by deadline.
  'interval and timeout': (out, done) => {
    let runs = 0;
    const iv = setInterval(() => {
      out.push('I');
      if (++runs === 2) {
        clearInterval(iv);
        done();
      }
    }, 30);
    setTimeout(() => out.push('T'), 45);
  },
  // After a callback that overran, the next run is the interval after it
  // started, not a burst that catches up.
  'interval after an overrun': (out, done) => {
    let last = 0;
    let runs = 0;
    const iv = setInterval(() => {
      const now = performance.now();
      if (runs > 0) out.push(now - last >= 30 ? 'spaced' : 'burst');
      last = now;
      if (++runs === 1) busy(100);
      if (runs === 4) {
        clearInterval(iv);
        done();
      }
    }, 40);
  },
  // refresh() pushes a pending timer back by its delay.
  'refresh pushes back': (out, done) => {
    const t = setTimeout(() => { out.push('T'); done(); }, 50);
    setTimeout(() => { out.push('S'); t.refresh(); }, 30);
    setTimeout(() => out.push('U'), 60);
  },
  // refresh() from its own callback arms a timeout again.
  'refresh from its callback': (out, done) => {
    let runs = 0;
    const t = setTimeout(() => {
      out.push('t' + ++runs);
      if (runs === 1) t.refresh();
      else done();
    }, 10);
  },
  // A cleared timer stays cleared: refresh() does not revive it.
  'refresh after clear': (out, done) => {
    const t = setTimeout(() => out.push('cleared'), 5);
    clearTimeout(t);
    t.refresh();
    setTimeout(() => { out.push('end'); done(); }, 40);
  },
  // hasRef() follows ref() and unref().
  'hasRef': (out, done) => {
    const t = setTimeout(() => {}, 1000);
    out.push(String(t.hasRef()));
    t.unref();
    out.push(String(t.hasRef()));
    t.ref();
    out.push(String(t.hasRef()));
    clearTimeout(t);
    done();
  },
};

// An unref'd timer does not keep the process alive: the last scenario
// leaves one behind, and the exit hook prints what ran.
const unrefTrace = [];
function unrefScenario() {
  setTimeout(() => unrefTrace.push('unref'), 2000).unref();
  const back = setTimeout(() => unrefTrace.push('ref-again'), 40);
  back.unref();
  back.ref();
  setTimeout(() => unrefTrace.push('ref'), 20);
}
process.on('exit', () => {
  console.log('unref: ' + unrefTrace.join(' '));
});

const names = Object.keys(scenarios);
(function next(i) {
  if (i === names.length) return unrefScenario();
  const out = [];
  scenarios[names[i]](out, () => {
    console.log(names[i] + ': ' + out.join(' '));
    setTimeout(() => next(i + 1), 10);
  });
})(0);
