// Let the bot's streamed voice play in a chat where the microphone was never switched on.
//
// Chainlit 2.12 plays `audio_chunk` messages through its WavStreamPlayer, but it only
// connects that player (creates its AudioContext) when the microphone connects; a chunk
// sent to a typed chat fails with "parameter 1 is not of type 'BaseAudioContext'"
// (Chainlit issue #2160). This script, loaded before Chainlit's bundle (custom_js), patches
// the player's class as the bundle publishes it on `window.WavStreamPlayer`:
//   - connect() reuses a live AudioContext instead of opening another one each time the
//     microphone is switched on;
//   - add16BitPCM() on an unconnected player connects it first and plays the chunk (and
//     any that arrive meanwhile, in order) once it is ready;
//   - the first click or key press in the page connects a spare player ahead of time, inside
//     a user gesture, and the real player adopts its AudioContext, so the first reply starts
//     without waiting for the worklet to load;
//   - an interrupt retires the playing worklet at once: the stock player keeps writing to it
//     until the worklet's "stop" comes back, so a reply sent right after a stop (a cached
//     "Thank you for calling. Goodbye." typed over the last reply) was written into a dying
//     worklet and never heard. Later chunks start a fresh worklet, and a retired one's late
//     "stop" no longer clears the fresh one.
(() => {
  const PATCHED = Symbol('voicebotPatched');
  let Player = null;
  let spare = null; // a player connected during the first gesture, whose context the real one adopts

  function patch(Cls) {
    if (!Cls || Cls.prototype[PATCHED]) return;
    const proto = Cls.prototype;
    const connect = proto.connect;
    const add = proto.add16BitPCM;
    const start = proto._start;
    const offset = proto.getTrackSampleOffset;
    proto[PATCHED] = true;

    proto._start = function () {
      const started = start.call(this);
      const node = this.stream;
      const handle = node.port.onmessage;
      node.port.onmessage = (event) => {
        if (event.data && event.data.event === 'stop' && this.stream !== node) {
          node.disconnect(); // a retired worklet ending: a fresh one, if any, plays on
          if (!this.stream && this.onStop) this.onStop();
          return;
        }
        handle(event);
      };
      return started;
    };

    proto.getTrackSampleOffset = function (interrupt = false) {
      const node = this.stream;
      const answer = offset.call(this, interrupt); // posts its request to the worklet before returning
      if (interrupt && node && this.stream === node) this.stream = null;
      return answer;
    };

    proto.connect = async function () {
      if (this.context && this.context.state !== 'closed') {
        if (this.context.state === 'suspended') await this.context.resume();
        return true;
      }
      if (spare && !this._voicebotSpare) {
        const ready = await spare.catch(() => null);
        if (ready && ready.context && ready.context.state !== 'closed' && !ready._voicebotAdopted) {
          ready._voicebotAdopted = true;
          this.context = ready.context;
          this.analyser = ready.analyser;
          if (this.context.state === 'suspended') await this.context.resume();
          return true;
        }
      }
      if (!this._voicebotConnecting) {
        this._voicebotConnecting = connect.call(this).finally(() => { this._voicebotConnecting = null; });
      }
      return this._voicebotConnecting;
    };

    proto.add16BitPCM = function (data, trackId = 'default') {
      if (this.context && !this._voicebotPending) return add.call(this, data, trackId);
      if (!this._voicebotPending) {
        this._voicebotPending = [];
        this.connect().then(() => {
          const pending = this._voicebotPending || [];
          this._voicebotPending = null;
          for (const [chunk, track] of pending) add.call(this, chunk, track);
        }, (error) => {
          this._voicebotPending = null;
          console.error('voicebot: the audio player could not start', error);
        });
      }
      this._voicebotPending.push([data, trackId]);
      return undefined;
    };
  }

  Object.defineProperty(window, 'WavStreamPlayer', {
    configurable: true,
    get: () => Player,
    set: (Cls) => { patch(Cls); Player = Cls; },
  });

  // The first click or key press connects a spare player (its AudioContext starts inside the
  // gesture, its worklet loads now), so the first reply does not wait for either.
  const warm = () => {
    document.removeEventListener('pointerdown', warm, true);
    document.removeEventListener('keydown', warm, true);
    if (!Player || spare) return;
    const player = new Player();
    player._voicebotSpare = true;
    spare = player.connect().then(() => player);
  };
  document.addEventListener('pointerdown', warm, true);
  document.addEventListener('keydown', warm, true);
})();
