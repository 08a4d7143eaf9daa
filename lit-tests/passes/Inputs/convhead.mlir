// SqueezeNet's ending: the head is a 1x1 conv to the 3 classes, then a mean
// over the 2x2 positions (located at the model) gives the logits the loss reads.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#pool = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>
ml_program.global private mutable @head.weight(dense<0.1> : tensor<3x2x1x1xf32>) : tensor<3x2x1x1xf32> loc("head")
func.func @forward(%x: tensor<2x2x2x2xf32> loc("x"), %y: tensor<2x3xf32> loc("y")) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant 0.25 : f32
  %w = ml_program.global_load @head.weight : tensor<3x2x1x1xf32> loc("head")
  %ce = tensor.empty() : tensor<2x3x2x2xf32> loc("head")
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32> loc("head")
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<2x2x2x2xf32>, tensor<3x2x1x1xf32>) outs(%cz : tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32> loc("head")
  %pe = tensor.empty() : tensor<2x3xf32> loc("Net")
  %pz = linalg.fill ins(%zero : f32) outs(%pe : tensor<2x3xf32>) -> tensor<2x3xf32> loc("Net")
  %logits = linalg.generic {indexing_maps = [#id4, #pool], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%c : tensor<2x3x2x2xf32>) outs(%pz : tensor<2x3xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.mulf %v, %quarter : f32
    %t = arith.addf %acc, %s : f32
    linalg.yield %t : f32
  } -> tensor<2x3xf32> loc("Net")
  %le = tensor.empty() : tensor<f32> loc("loss")
  %lz = linalg.fill ins(%zero : f32) outs(%le : tensor<f32>) -> tensor<f32> loc("loss")
  %loss = linalg.generic {indexing_maps = [#id2, #id2, #all], iterator_types = ["reduction", "reduction"]} ins(%logits, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%lz : tensor<f32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %d = arith.subf %p, %q : f32
    %e = arith.mulf %d, %d : f32
    %f = arith.addf %acc, %e : f32
    linalg.yield %f : f32
  } -> tensor<f32> loc("loss")
  return %loss : tensor<f32>
}
