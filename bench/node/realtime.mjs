// The same jobs as voxterm's benchmarks, done with OpenAI's official Node SDK (OpenAIRealtimeWS
// over ws), the way its README shows. scripts/bench runs it against the same mock.
//
//   node realtime.mjs text "mock:long 100000"          the answer's text to stdout
//   node realtime.mjs audio "mock:audio 600000" OUT    the transcript to stdout, the audio to OUT (WAV)
//   node realtime.mjs startup                          connect, session.update, close
//
// OPENAI_BASE_URL points it at the mock (https://127.0.0.1:PORT/v1); NODE_EXTRA_CA_CERTS makes
// Node trust the mock's certificate.
import fs from 'node:fs';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const [mode, say, outPath] = process.argv.slice(2);
const client = new OpenAI();
const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client);

let out = null;
let pcmBytes = 0;
if (mode === 'audio') {
  out = fs.openSync(outPath, 'w');
  fs.writeSync(out, Buffer.alloc(44));  // the WAV header, written at the end
}

function wavHeader(bytes) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + bytes, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(24000, 24); h.writeUInt32LE(48000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(bytes, 40);
  return h;
}

rt.on('error', (err) => {
  console.error('realtime.mjs:', err.message);
  process.exit(1);
});

rt.socket.on('open', () => {});
rt.on('session.created', () => {
  rt.send({
    type: 'session.update',
    session: { type: 'realtime', output_modalities: [mode === 'audio' ? 'audio' : 'text'] },
  });
  if (mode === 'startup') {
    rt.close();
    return;
  }
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: say }] },
  });
  rt.send({ type: 'response.create' });
});

rt.on('response.output_text.delta', (e) => process.stdout.write(e.delta));
rt.on('response.output_audio_transcript.delta', (e) => process.stdout.write(e.delta));
rt.on('response.output_audio.delta', (e) => {
  const pcm = Buffer.from(e.delta, 'base64');
  pcmBytes += pcm.length;
  fs.writeSync(out, pcm);
});
rt.on('response.done', () => {
  process.stdout.write('\n');
  if (out !== null) {
    fs.writeSync(out, wavHeader(pcmBytes), 0, 44, 0);
    fs.closeSync(out);
  }
  rt.close();
});
rt.socket.on('close', () => process.exit(0));
