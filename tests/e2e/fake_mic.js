// Init script for the browser tests (runs before the Chainlit bundle on every page).
//
// 1. Force echoCancellation / noiseSuppression / autoGainControl off on every
//    getUserMedia call, so Chromium hands the fake-capture WAV through untouched,
//    and remember the settings the track really got (window.__voicebotMic.settings).
// 2. Count the pcm16 bytes Chainlit's recorder worklet ("audio_processor") hands
//    to the page (window.__voicebotMic.bytes), so a test can wait until the whole
//    WAV has been captured instead of sleeping for a guessed time.
(() => {
  const mic = { calls: 0, settings: null, bytes: 0, chunks: 0 };
  window.__voicebotMic = mic;

  const media = navigator.mediaDevices;
  if (media && media.getUserMedia) {
    const original = media.getUserMedia.bind(media);
    media.getUserMedia = async (constraints) => {
      mic.calls += 1;
      let wanted = constraints || {};
      if (wanted.audio) {
        const audio = typeof wanted.audio === 'object' ? wanted.audio : {};
        wanted = {
          ...wanted,
          audio: { ...audio, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        };
      }
      const stream = await original(wanted);
      const track = stream.getAudioTracks()[0];
      if (track) mic.settings = track.getSettings();
      return stream;
    };
  }

  const Native = window.AudioWorkletNode;
  if (Native) {
    window.AudioWorkletNode = class extends Native {
      constructor(context, name, options) {
        super(context, name, options);
        if (name === 'audio_processor') {
          mic.sampleRate = context.sampleRate;
          this.port.addEventListener('message', (event) => {
            const msg = event.data;
            if (msg && msg.event === 'chunk' && msg.data && msg.data.mono) {
              mic.bytes += msg.data.mono.byteLength;
              mic.chunks += 1;
            }
          });
        }
      }
    };
  }
})();
