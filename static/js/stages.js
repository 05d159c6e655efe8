// The stepper's stages for a network with L layers, as pure functions of (stage, L).
//   0            nothing computed yet (x = h_0 is known)
//   k = 1..L     forward through layer k: a_k = b_k + W_k h_{k-1}, h_k = g(a_k)  (stage L also shows y_hat and the loss)
//   L + j        backward through layer k = L - j + 1: grad_a_k, grad_W_k, grad_b_k, grad_h_{k-1}
//   2L + 1       update: Theta <- Theta - eta grad Theta

export const lastStage = (L) => 2 * L + 1;

export function isForward(stage, L) {
  return stage >= 1 && stage <= L;
}

export function isBackward(stage, L) {
  return stage > L && stage <= 2 * L;
}

export function isUpdate(stage, L) {
  return stage === 2 * L + 1;
}

/** The layer being computed at this stage (null at 0 and at the update). */
export function litLayer(stage, L) {
  if (isForward(stage, L)) return stage;
  if (isBackward(stage, L)) return 2 * L - stage + 1;
  return null;
}

/** Are a_k and h_k known at this stage? */
export function forwardKnown(stage, L, k) {
  return stage >= k && stage <= 2 * L;
}

/** Are grad_a_k, grad_W_k, grad_b_k (and grad_h_{k-1}) known at this stage? */
export function backwardKnown(stage, L, k) {
  return stage >= 2 * L - k + 1 && stage <= 2 * L;
}

/** Is grad_h_k known? It is computed at the backward step of layer k + 1 (k = 0..L-1). */
export function gradHKnown(stage, L, k) {
  return k < L && backwardKnown(stage, L, k + 1);
}

export function stageName(stage, L) {
  if (stage === 0) return "start: x = h\u2080";
  if (isForward(stage, L)) return stage === L ? `forward, layer ${stage} (output)` : `forward, layer ${stage}`;
  if (isBackward(stage, L)) return `backward, layer ${litLayer(stage, L)}`;
  return "update";
}

export function stageShort(stage, L) {
  if (stage === 0) return "x";
  if (isForward(stage, L)) return `F${stage}`;
  if (isBackward(stage, L)) return `B${litLayer(stage, L)}`;
  return "U";
}
