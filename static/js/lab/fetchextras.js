// Fetches a lab runs beside the trace whenever the parameters (or the traced example) changed:
// the PCA projection of x and h_k for data with more than two inputs, and the test split's
// evaluation (confusion matrix) for image data once it has been trained.

/** The fetches to run now (promises); none for a network without them. */
export function projectionFetches() {
  return [];
}
