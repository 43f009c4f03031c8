// A browser's audio leg on a live call, shared by the agent's softphone, a colleague
// joining a consult and a supervisor listening in: the microphone goes out and the
// call's audio comes into an <audio> element over WebRTC; the server answers the
// browser's SDP offer at an endpoint of its own for each (`/audio`, `/consult/join`,
// `/monitor`).
import { api, errorText } from './api';

export interface CallAudio {
  pc: RTCPeerConnection;
  mic: MediaStream;
}

/** Opens the leg: asks for the microphone, offers to `path` (with `extra` in the body) and
 *  plays what comes back into `audio()`. `onState` hears the connection's states. */
export async function openCallAudio(
  path: string,
  extra: Record<string, unknown>,
  audio: () => HTMLAudioElement | undefined,
  onState: (s: RTCPeerConnectionState) => void,
): Promise<CallAudio> {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  const pc = new RTCPeerConnection();
  try {
    for (const t of mic.getAudioTracks()) pc.addTrack(t, mic);
    pc.ontrack = (e) => {
      const el = audio();
      if (el) el.srcObject = e.streams[0] ?? new MediaStream([e.track]);
    };
    pc.onconnectionstatechange = () => onState(pc.connectionState);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await api.post<{ sdp: string }>(path, { sdp: offer.sdp, ...extra });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  } catch (e) {
    closeCallAudio({ pc, mic });
    throw e;
  }
  return { pc, mic };
}

export function closeCallAudio(a: CallAudio | null): void {
  a?.pc.close();
  for (const t of a?.mic.getTracks() ?? []) t.stop();
}

/** The microphone on (`true`) or off. */
export function setMic(a: CallAudio | null, on: boolean): void {
  for (const t of a?.mic.getAudioTracks() ?? []) t.enabled = on;
}

/** Why a leg could not open, in words; `then` says what to do after allowing the microphone. */
export function audioProblem(e: unknown, detail: string, then = 'then reload'): string {
  return e instanceof DOMException && e.name === 'NotAllowedError'
    ? `The browser did not allow the microphone: allow it for this site, ${then}.`
    : `${detail}: ${errorText(e)}`;
}

/** The level (0–1) of the audio coming in, if the browser reports one yet. */
export async function inboundLevel(pc: RTCPeerConnection | null | undefined): Promise<number | null> {
  if (!pc) return null;
  let level: number | null = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.audioLevel === 'number') level = s.audioLevel;
  });
  return level;
}
