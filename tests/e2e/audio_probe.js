// Init script for the real-time browser tests and the browser bench: watch the bot's voice
// play and the microphone's chunks leave, with performance.now() times (window.__voicebotAudio).
//
//   clicks      Send-button clicks
//   mic         each block Chainlit's recorder worklet captures: {t, n (samples at 24 kHz), db (its level)}
//   writes      each PCM chunk posted to the player's worklet ("stream_processor"): {t, samples, track}
//   playing     each time that worklet's output turns from silence to sound: {t}
//   quiet       ... and from sound back to silence: {t}
//   interrupts  each interrupt the page sent the worklet
//   media       'playing' events of <audio> elements (a whole-WAV reply): {t, src}
//   messages    each chat message as it appears: {t, author, text} (the text as first shown)
//
// "Playing" is measured where the sound leaves the page: a probe worklet on the player's
// output reports the first non-silent render quantum, mapped to performance.now().
(() => {
  const probe = { clicks: [], mic: [], writes: [], playing: [], quiet: [], interrupts: [], media: [], messages: [] };
  window.__voicebotAudio = probe;
  // Page times as wall-clock epoch ms, to line them up with the server's event log.
  probe.timeOrigin = performance.timeOrigin;

  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const steps = node.matches('[data-step-type$="_message"]') ? [node]
          : Array.from(node.querySelectorAll('[data-step-type$="_message"]'));
        for (const step of steps) {
          probe.messages.push({ t: performance.now(), kind: step.getAttribute('data-step-type'),
                                text: (step.textContent || '').slice(0, 200) });
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });

  document.addEventListener('click', (event) => {
    const target = event.target;
    if (target && target.closest && target.closest('#chat-submit')) probe.clicks.push(performance.now());
  }, true);
  document.addEventListener('playing', (event) => {
    const el = event.target;
    if (el && el.tagName === 'AUDIO') probe.media.push({ t: performance.now(), src: el.currentSrc || el.src });
  }, true);

  const PROBE = `
    class VoicebotProbe extends AudioWorkletProcessor {
      constructor() { super(); this.loud = false; }
      process(inputs) {
        const channel = inputs[0] && inputs[0][0];
        let loud = false;
        if (channel) for (let i = 0; i < channel.length; i++) if (Math.abs(channel[i]) > 1e-3) { loud = true; break; }
        if (loud !== this.loud) this.port.postMessage({ loud, time: currentTime });
        this.loud = loud;
        return true;
      }
    }
    registerProcessor('voicebot_probe', VoicebotProbe);`;
  const probeUrl = URL.createObjectURL(new Blob([PROBE], { type: 'application/javascript' }));

  const NativeContext = window.AudioContext;
  if (NativeContext) {
    window.AudioContext = class extends NativeContext {
      constructor(options) {
        super(options);
        this.__voicebotProbe = this.audioWorklet.addModule(probeUrl);
      }
    };
  }

  function perfTime(context, time) {
    try {
      const stamp = context.getOutputTimestamp();
      if (stamp && stamp.performanceTime) return stamp.performanceTime + (time - stamp.contextTime) * 1000;
    } catch (e) { /* fall through */ }
    return performance.now() - (context.currentTime - time) * 1000;
  }

  function tapOutput(context, node) {
    const ready = context.__voicebotProbe || Promise.resolve();
    ready.then(() => {
      const tap = new AudioWorkletNode(context, 'voicebot_probe');
      tap.port.onmessage = (event) => {
        const at = perfTime(context, event.data.time);
        (event.data.loud ? probe.playing : probe.quiet).push({ t: at });
      };
      node.connect(tap);
      tap.connect(context.destination);
    }).catch(() => {});
  }

  const NativeNode = window.AudioWorkletNode;
  if (NativeNode) {
    window.AudioWorkletNode = class extends NativeNode {
      constructor(context, name, options) {
        super(context, name, options);
        if (name === 'stream_processor') {
          const post = this.port.postMessage.bind(this.port);
          this.port.postMessage = (message, transfer) => {
            if (message && message.event === 'write') {
              probe.writes.push({ t: performance.now(), samples: message.buffer.length, track: message.trackId });
            } else if (message && message.event === 'interrupt') {
              probe.interrupts.push(performance.now());
            }
            return transfer ? post(message, transfer) : post(message);
          };
          tapOutput(context, this);
        } else if (name === 'audio_processor') {
          this.port.addEventListener('message', (event) => {
            const msg = event.data;
            if (msg && msg.event === 'chunk' && msg.data && msg.data.mono) {
              const mono = msg.data.mono instanceof Int16Array ? msg.data.mono : new Int16Array(msg.data.mono);
              let sum = 0;
              for (let i = 0; i < mono.length; i++) sum += mono[i] * mono[i];
              const rms = Math.sqrt(sum / Math.max(1, mono.length)) / 32768;
              probe.mic.push({ t: performance.now(), n: mono.length, db: 20 * Math.log10(Math.max(rms, 1e-10)) });
            }
          });
        }
      }
    };
  }
})();
