// The views a lab shows only for some data: images (the traced x, the weight gallery, the
// output bars, the confusion matrix). Each is a stateless render(element, data) behind a memo.

/** Draw the extra views that apply to this network and data. */
export function render() {}
