/**
 * Reverse-mode automatic differentiation over engine tensors.
 *
 * <pre>{@code
 *   Var w = Var.param(Tensor.randn(rng, 0.02, d, h));          // a trainable leaf
 *   Var x = Var.constant(batch);                               // data: no gradient
 *   F f = new F(kernels);                                      // the ops, on these kernels
 *   Var loss = f.crossEntropy(f.linear(x, w), targets);        // builds the graph
 *   w.zeroGrad();
 *   loss.backward();                                           // w.grad() now holds dloss/dw
 * }</pre>
 *
 * <ul>
 *   <li>{@link jmglu.autograd.Var}: value, gradient, producing op; backward() runs the graph in
 *       reverse topological order and then frees saved activations and non-leaf gradients.</li>
 *   <li>{@link jmglu.autograd.F}: the ops; each is one class in {@code jmglu.autograd.ops} with
 *       forward and backward side by side, calling the {@link jmglu.engine.Kernels} the F was
 *       made with (no global backend).</li>
 *   <li>{@link jmglu.autograd.GradCheck}: central finite differences against backward.</li>
 *   <li>{@code jmglu.autograd.demo.MgluRegressionDemo}: one MGLU layer with learned masks.</li>
 * </ul>
 */
package jmglu.autograd;
