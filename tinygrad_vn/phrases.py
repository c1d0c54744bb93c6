"""The one table of phrases that the teaching features write, English and Vietnamese side by side.

Every word that :func:`tinygrad_vn.explain`, the drawings, the animation, the worksheets, anomaly
messages and the teaching commands' help show comes from here, so a translation is complete when this
table is. Each entry maps a key to ``(English, Vietnamese)``; ``{name}`` fields are filled in by
:func:`phrase`. A teacher adds another language with :func:`add_language`, which refuses a table that
misses a key or a field.

>>> phrase("phrases.example", "vi", count=3)
'3 ví dụ'
>>> phrase("phrases.example", count=1)
'1 example'
"""

from __future__ import annotations

import string
from collections.abc import Mapping

# Each feature keeps its phrases in its own block; PHRASES below is their union.
_GENERAL: dict[str, tuple[str, str]] = {
    "phrases.example": ("{count} example", "{count} ví dụ"),
}

_EXPLAIN: dict[str, tuple[str, str]] = {
    "explain.title": ("Backpropagation of {loss}: the gradient equations the engine applied, in order",
                      "Lan truyền ngược (backpropagation) của {loss}: các phương trình đạo hàm mà engine đã áp dụng, "
                      "theo thứ tự"),
    "explain.notation": ("Notation: dX = ∂{loss}/∂X, of X's shape; ⊙ elementwise product, · matrix product, "
                         "ᵀ transpose",
                         "Ký hiệu: dX = ∂{loss}/∂X, cùng kích thước với X; ⊙ nhân từng phần tử, · nhân ma trận, "
                         "ᵀ chuyển vị"),
    "explain.parameters": ("Parameters", "Tham số (trọng số và hệ số bias)"),
    "explain.with": ("with", "với"),
    "explain.scalar": ("scalar", "vô hướng"),
    "explain.no_rule": ("(this op states no gradient rule; the engine's numbers are shown)",
                        "(phép toán này không nêu quy tắc đạo hàm; chỉ hiện các giá trị engine tính được)"),
    "explain.sigmoid_bce": ("sigmoid then binary cross-entropy, the factors ŷ (1 − ŷ) cancel",
                            "sigmoid rồi binary cross-entropy, các thừa số ŷ (1 − ŷ) triệt tiêu nhau"),
    "explain.softmax_ce": ("softmax then cross-entropy, when each row of y sums to 1",
                           "softmax rồi cross-entropy, khi mỗi hàng của y có tổng bằng 1"),
    "explain.fused_ce": ("softmax and cross-entropy collapse to o − y (seed 001); this op computes them fused",
                         "softmax và cross-entropy rút gọn thành o − y (seed 001); phép toán này tính gộp cả hai"),
    "explain.chains": ("Chain rule for each parameter element (as the notes write it by hand, with the engine's "
                       "numbers)",
                       "Quy tắc chuỗi (chain rule) cho từng phần tử của tham số (như ghi chú tính tay, với số của "
                       "engine)"),
    "explain.no_chains": ("(chains are written out only for parameters of at most {params} elements and other "
                          "tensors of at most {tensors})",
                          "(chỉ viết quy tắc chuỗi cho tham số có tối đa {params} phần tử và các tensor khác tối đa "
                          "{tensors} phần tử)"),
    "explain.more_paths": ("… and {count} more paths", "… và {count} đường khác"),
    "explain.paths": ("sum over {count} paths:", "tổng trên {count} đường:"),
    "explain.no_path": ("(no path carries a gradient here: one of its factors is 0)",
                        "(không có đường nào truyền đạo hàm tới đây: một thừa số bằng 0)"),
    "explain.shape_product": ("shapes: {result}", "kích thước: {result}"),
    "explain.shape_broadcast": ("{grad} ({shape}) = Σ over {axes} of {upstream}, because {name} was broadcast "
                                "over {which}",
                                "{grad} ({shape}) = Σ theo {axes} của {upstream}, vì {name} đã được trải (broadcast) "
                                "theo {which}"),
    "explain.shape_broadcast_batch": ("{grad} ({shape}) = Σ over the batch axis of {upstream}, because {name} was "
                                      "broadcast over it",
                                      "{grad} ({shape}) = Σ theo trục batch (trục mẫu) của {upstream}, vì {name} đã "
                                      "được trải (broadcast) theo trục đó"),
    "explain.axis": ("axis {axis}", "trục {axis}"),
    "explain.axes": ("axes {axes}", "các trục {axes}"),
    "explain.it": ("it", "trục đó"),
    "explain.them": ("them", "các trục đó"),
    "explain.numbers": ("with numbers: {numbers}", "thay số: {numbers}"),
    "explain.paths_title": ("Every path from {loss} to {element}: the product of its local derivatives",
                            "Mọi đường từ {loss} tới {element}: tích các đạo hàm cục bộ trên đường"),
    "explain.path": ("path {number}", "đường {number}"),
    "explain.paths_sum": ("sum of the {count} paths = {total}    {grad_label} = {grad}",
                          "tổng của {count} đường = {total}    {grad_label} = {grad}"),
    "explain.paths_agree": ("(equal)", "(bằng nhau)"),
    "explain.paths_differ": ("(NOT equal)", "(KHÔNG bằng nhau)"),
    "explain.too_many_paths": ("more than {limit} paths; only the first {limit} are listed",
                               "hơn {limit} đường; chỉ liệt kê {limit} đường đầu tiên"),
    # The English remarks of the ops' docstrings (tinygrad_vn/ops), mapped by their English text.
    "explain.rule.averaged": ("broadcast back over the averaged axes",
                              "trải (broadcast) lại trên các trục đã lấy trung bình"),
    "explain.rule.summed": ("broadcast back over the summed axes", "trải (broadcast) lại trên các trục đã cộng"),
    "explain.rule.over_axis": ("over axis", "theo trục"),
    "explain.rule.along_axis": ("along axis", "dọc theo trục"),
    "explain.rule.per_row": ("per row, reduced", "theo từng hàng, rồi gộp lại"),
    "explain.rule.with_one_hot": (", with O = softmax(Z), Y one-hot", ", với O = softmax(Z), Y dạng one-hot"),
    "explain.rule.at_column": ("at column y, 0 elsewhere", "tại cột y, 0 ở các cột khác"),
    "explain.rule.summed_broadcast": ("(summed over broadcast axes)", "(cộng dồn trên các trục đã trải)"),
    "explain.rule.each_summed_broadcast": ("(each summed over broadcast axes)",
                                           "(mỗi cái cộng dồn trên các trục đã trải)"),
    "explain.rule.batch_axes": ("(batch axes summed back)", "(cộng dồn lại trên các trục batch)"),
    "explain.rule.zero_at": ("(0 at A = 0)", "(0 tại A = 0)"),
    "explain.rule.converted": ("converted to dtype", "đổi sang kiểu dtype"),
    "explain.rule.converted_back": ("converted back to A's dtype", "đổi lại về kiểu của A"),
    "explain.rule.integer_copy": ("(integer tensors come back unchanged, as a copy)",
                                  "(tensor số nguyên được trả lại nguyên vẹn, dưới dạng bản sao)"),
    "explain.rule.where_else": ("where lo ≤ A ≤ hi, else 0", "khi lo ≤ A ≤ hi, ngược lại 0"),
    "explain.rule.nan_stays": ("(NaN stays NaN and gets no gradient)", "(NaN vẫn là NaN và không nhận đạo hàm)"),
    "explain.rule.joined": ("joined along axis", "nối dọc theo trục"),
    "explain.rule.slice": ("each dAᵢ is its slice of dC", "mỗi dAᵢ là lát cắt tương ứng của dC"),
    "explain.rule.row_major": ("copied into row-major (C) order", "chép sang thứ tự theo hàng (kiểu C)"),
    "explain.rule.running_from_end": ("running Σ of dC along axis, from the end",
                                      "Σ tích lũy của dC dọc theo trục, tính từ cuối"),
    "explain.rule.running": ("running Σ A along axis", "Σ tích lũy của A dọc theo trục"),
    "explain.rule.saved_only": ("(A is saved only when B needs a gradient)", "(A chỉ được lưu khi B cần đạo hàm)"),
    "explain.rule.contracted_a": ("contracted with the other operands onto A's subscripts",
                                  "rút gọn (contract) với các toán hạng khác về các chỉ số của A"),
    "explain.rule.contracted_b": ("contracted with the other operands onto B's subscripts",
                                  "rút gọn (contract) với các toán hạng khác về các chỉ số của B"),
    "explain.rule.contracted_c": ("contracted with the other operands onto C's subscripts",
                                  "rút gọn (contract) với các toán hạng khác về các chỉ số của C"),
    "explain.rule.embedding": ("zeros with each row of dY added into row I (repeats add up; the padding row gets none)",
                               "ma trận 0, mỗi hàng của dY được cộng vào hàng I (lặp lại thì cộng dồn; hàng đệm "
                               "không nhận gì)"),
    "explain.rule.broadcast_to": ("broadcast to a bigger shape", "trải (broadcast) ra kích thước lớn hơn"),
    "explain.rule.summed_over_broadcast": ("summed over the broadcast axes", "cộng dồn trên các trục đã trải"),
    "explain.rule.near_zero": ("(accurate for A near 0)", "(chính xác khi A gần 0)"),
    "explain.rule.reversed": ("reversed along dims", "đảo ngược dọc theo các chiều dims"),
    "explain.rule.reversed_same": ("reversed along the same dims", "đảo ngược dọc theo cùng các chiều dims"),
    "explain.rule.picked": ("'s elements picked along dim at index", " lấy các phần tử dọc theo chiều dim tại index"),
    "explain.rule.picked_back": ("zeros with dB added back at the picked places (repeats add up)",
                                 "ma trận 0 với dB cộng lại vào các vị trí đã lấy (lặp lại thì cộng dồn)"),
    "explain.rule.scattered": ("zeros with dB scattered back into the indexed places (repeats add up)",
                               "ma trận 0 với dB rải lại vào các vị trí đã chỉ số (lặp lại thì cộng dồn)"),
    "explain.rule.hardtanh": ("where lo < Z < hi, else 0 (PyTorch's rule: 0 on the bounds themselves)",
                              "khi lo < Z < hi, ngược lại 0 (theo quy ước PyTorch: bằng 0 ngay tại hai biên)"),
    "explain.rule.huber": ("where |X − Y| ≤ δ, else", "khi |X − Y| ≤ δ, ngược lại"),
    "explain.rule.index_tensor": ("for an index tensor I", "với tensor chỉ số I"),
    "explain.rule.put_back": ("zeros with dB put back at I (repeats add up)",
                              "ma trận 0 với dB đặt lại tại I (lặp lại thì cộng dồn)"),
    "explain.rule.slices": ("'s slices along dim at the 1-D index, in its order",
                            " lấy các lát cắt dọc theo chiều dim tại chỉ số 1 chiều, theo thứ tự của nó"),
    "explain.rule.slices_back": ("zeros with dB's slices added back (repeats add up)",
                                 "ma trận 0 với các lát cắt của dB cộng lại (lặp lại thì cộng dồn)"),
    "explain.rule.with_g": ("with G =", "với G ="),
    "explain.rule.masked_fill": ("with V wherever the mask is true", "thay bằng V ở mọi chỗ mặt nạ đúng"),
    "explain.rule.masked_zeroed": ("with the masked places zeroed", "với các vị trí bị che đặt bằng 0"),
    "explain.rule.masked_places": ("over the masked places", "trên các vị trí bị che"),
    "explain.rule.max": ("where A equals the maximum (split evenly on ties), else 0",
                         "khi A bằng giá trị lớn nhất (chia đều khi bằng nhau), ngược lại 0"),
    "explain.rule.min": ("where A equals the minimum (split evenly on ties), else 0",
                         "khi A bằng giá trị nhỏ nhất (chia đều khi bằng nhau), ngược lại 0"),
    "explain.rule.elementwise": ("elementwise", "từng phần tử"),
    "explain.rule.larger": ("the gradient goes to the larger input, split evenly on ties",
                            "đạo hàm đi về đầu vào lớn hơn, chia đều khi bằng nhau"),
    "explain.rule.minimum_a": ("where A < B", "khi A < B"),
    "explain.rule.minimum_b": ("where B < A (ties split evenly, NaN passes to both)",
                               "khi B < A (bằng nhau thì chia đều, NaN truyền cho cả hai)"),
    "explain.rule.prelu": ("where Z ≤ 0 (per channel, axis 1)", "khi Z ≤ 0 (theo từng kênh, trục 1)"),
    "explain.rule.padded": ("padded by widths (constant, reflect, replicate or circular)",
                            "được đệm theo widths (hằng số, phản chiếu, lặp biên hoặc vòng)"),
    "explain.rule.pad_back": ("the part of dB over A, plus dB at every edge copy of an element",
                              "phần của dB nằm trên A, cộng dB tại mọi bản sao ở biên của một phần tử"),
    "explain.rule.pow_a": ("(0 where B = 0, even at A = 0)", "(bằng 0 khi B = 0, kể cả tại A = 0)"),
    "explain.rule.pow_b": ("(0 where A ≤ 0)", "(bằng 0 khi A ≤ 0)"),
    "explain.rule.prod": ("(the product of the other elements)", "(tích của các phần tử còn lại)"),
    "explain.rule.tiled": ("tiled repeats times along each axis", "lặp lại repeats lần dọc theo mỗi trục"),
    "explain.rule.tiles": ("summed over its tiles", "cộng dồn trên các ô lặp"),
    "explain.rule.viewed": ("viewed with a new shape", "nhìn với kích thước mới"),
    "explain.rule.reshaped": ("reshaped back", "đổi lại kích thước cũ"),
    "explain.rule.rolled": ("rolled by shifts along dims", "cuộn đi shifts vị trí dọc theo các chiều dims"),
    "explain.rule.rolled_back": ("rolled back", "cuộn ngược lại"),
    "explain.rule.written_along": ("with S written along dim at index", "với S được ghi dọc theo chiều dim tại index"),
    "explain.rule.written_zeroed": ("with the written places zeroed", "với các vị trí đã ghi đặt bằng 0"),
    "explain.rule.written_places": ("at the written places", "tại các vị trí đã ghi"),
    "explain.rule.added_along": ("with S added along dim at index", "với S được cộng dọc theo chiều dim tại index"),
    "explain.rule.added_places": ("at the places added to", "tại các vị trí đã được cộng vào"),
    "explain.rule.set_item": ("with B[index] = V", "với B[index] = V"),
    "explain.rule.summed_to_v": ("(summed to V)", "(cộng dồn về kích thước của V)"),
    "explain.rule.threshold": ("(dA where βZ > threshold)", "(bằng dA khi βZ > threshold)"),
    "explain.rule.positions": ("added into zeros at the positions I", "cộng vào ma trận 0 tại các vị trí I"),
    "explain.rule.permuted": ("with axes permuted", "với các trục được hoán vị"),
    "explain.rule.inverse": ("with the inverse permutation", "với phép hoán vị ngược"),
    "explain.rule.rows": ("Σ_rows", "Σ_hàng"),
    "explain.rule.smooth": ("where |X − Y| < β, else", "khi |X − Y| < β, ngược lại"),
    "explain.rule.if": (" if ", " nếu "),
    "explain.rule.else": (" else ", ", ngược lại "),
}

_DRAWINGS: dict[str, tuple[str, str]] = {
    "viz.feedforward": ("Feedforward", "Lan truyền tiến (feedforward)"),
    "viz.backpropagation": ("Backpropagation", "Lan truyền ngược (backpropagation)"),
    "viz.backward_module": ("{module}: {kind} (backward)", "{module}: {kind} (lan truyền ngược)"),
    "viz.no_rule": ("(no rule stated)", "(không nêu quy tắc)"),
    "viz.freed": ("backward() already freed this graph's intermediate values and gradients, so they are not "
                  "shown; draw before backward(), or call backward(retain_graph=True) to keep them",
                  "backward() đã giải phóng các giá trị trung gian và đạo hàm của đồ thị này nên không hiển thị "
                  "được; hãy vẽ trước khi gọi backward(), hoặc gọi backward(retain_graph=True) để giữ lại"),
    "viz.scalar": ("scalar", "vô hướng"),
}

_ANIMATION: dict[str, tuple[str, str]] = {
    "animate.page_title": ("Backward, step by step: {loss}", "Lan truyền ngược từng bước: {loss}"),
    "animate.previous": ("◀ Previous", "◀ Bước trước"),
    "animate.next": ("Next ▶", "Bước sau ▶"),
    "animate.play": ("▶ Play", "▶ Chạy"),
    "animate.pause": ("❚❚ Pause", "❚❚ Tạm dừng"),
    "animate.slider": ("Step", "Bước"),
    "animate.show_forward": ("show the forward graph with its values beside it",
                             "hiện đồ thị lan truyền xuôi kèm các giá trị bên cạnh"),
    "animate.backward_graph": ("Backward: the gradients dX = ∂{loss}/∂X",
                               "Lan truyền ngược: các đạo hàm dX = ∂{loss}/∂X"),
    "animate.forward_graph": ("Forward: the values", "Lan truyền xuôi: các giá trị"),
    "animate.keys": ("Keys: ← and → go one step back and forward, Home and End go to the first and the last "
                     "frame, the space bar plays and pauses.",
                     "Phím: ← và → lùi và tiến một bước, Home và End về khung đầu và khung cuối, "
                     "phím cách để chạy hoặc tạm dừng."),
    "animate.legend_current": ("orange: the op applied at this step",
                               "màu cam: phép toán được áp dụng ở bước này"),
    "animate.legend_fresh": ("green border: a gradient this step computed",
                             "viền xanh lá: đạo hàm vừa tính ở bước này"),
    "animate.legend_partial": ("dashed border: a partial sum, more contributions are still to come",
                               "viền nét đứt: mới là tổng một phần, còn những phần đóng góp chưa cộng vào"),
    "animate.legend_pending": ("grey, with ?: not computed yet", "màu xám, có dấu ?: chưa được tính"),
    "animate.no_script": ("This page needs JavaScript to step through its frames.",
                          "Trang này cần JavaScript để xem lần lượt từng khung hình."),
    "animate.frame_seed_title": ("Frame 0 of {last}: the seed", "Khung 0/{last}: giá trị khởi đầu"),
    "animate.frame_seed": ("Nothing is computed yet. Backward starts at the loss with the seed "
                           "d{loss} = ∂{loss}/∂{loss} = 1.",
                           "Chưa có gì được tính. Lan truyền ngược bắt đầu từ hàm mất mát với giá trị khởi đầu "
                           "d{loss} = ∂{loss}/∂{loss} = 1."),
    "animate.frame_next": ("Next: step 1 applies {op}.", "Tiếp theo: bước 1 áp dụng {op}."),
    "animate.frame_step_title": ("Step {step} of {last}: {op}", "Bước {step}/{last}: {op}"),
    "animate.partial_sum": ("d{name} so far: the sum of {count} of its {total} contributions",
                            "d{name} đến lúc này: tổng của {count} trong {total} phần đóng góp"),
    "animate.complete_sum": ("d{name} is complete: the sum of all {total} contributions",
                             "d{name} đã đủ: tổng của cả {total} phần đóng góp"),
    "animate.finished": ("Backward is done: every gradient is computed.",
                         "Lan truyền ngược đã xong: mọi đạo hàm đều đã được tính."),
    "animate.collapsed": ("The graph has {ops} ops, so each module is drawn as one box.",
                          "Đồ thị có {ops} phép toán nên mỗi module được vẽ thành một khối."),
    "animate.module_box": ("{module}: {kind} (backward)", "{module}: {kind} (lan truyền ngược)"),
    "animate.scalar": ("scalar", "vô hướng"),
    "animate.cli_help": ("step through backward: an HTML page, numbered PNG frames or an animated GIF",
                         "xem lan truyền ngược từng bước: một trang HTML, các khung PNG đánh số hoặc một ảnh GIF động"),
    "animate.cli_description": (
        "Show an example's backward pass one step per frame (frame 0 is the seed dL = 1): the op applied "
        "highlighted, the gradients computed so far with their values, and the step's rule with its numbers. "
        "html writes one self-contained page (previous, next and play buttons, the arrow keys, a slider), png "
        "the numbered frames EXAMPLE_backprop_000.png, ..., gif one animated GIF (needs Pillow). The pictures "
        "need graphviz's `dot` program.",
        "Trình bày lan truyền ngược của một ví dụ, mỗi khung hình một bước (khung 0 là giá trị khởi đầu dL = 1): "
        "phép toán đang áp dụng được tô đậm, các đạo hàm đã tính kèm giá trị, và quy tắc của bước đó với các con "
        "số cụ thể. html ghi một trang độc lập (nút lùi, tiến, chạy, phím mũi tên, thanh trượt), png ghi các "
        "khung đánh số EXAMPLE_backprop_000.png, ..., gif ghi một ảnh GIF động (cần Pillow). Các hình vẽ cần "
        "chương trình `dot` của graphviz."),
    "animate.cli_format": ("what to write: html, png or gif (default html)",
                           "định dạng cần ghi: html, png hoặc gif (mặc định html)"),
    "animate.cli_out": ("the folder to write into (default: the current one)",
                        "thư mục để ghi vào (mặc định: thư mục hiện tại)"),
    "animate.cli_lang": ("the language of the frames and of this help, en or vi (default en; the help also "
                         "follows $TINYGRAD_VN_LANG)",
                         "ngôn ngữ của các khung hình và của phần trợ giúp này, en hoặc vi (mặc định en; phần trợ "
                         "giúp cũng theo biến $TINYGRAD_VN_LANG)"),
    "animate.cli_precision": ("significant digits of the numbers (default {default})",
                              "số chữ số có nghĩa của các con số (mặc định {default})"),
    "animate.cli_collapse": ("draw each module as one box (a network of more than {ops} ops is drawn so anyway)",
                             "vẽ mỗi module thành một khối (mạng có hơn {ops} phép toán luôn được vẽ như vậy)"),
    "animate.cli_delay": ("milliseconds per frame when playing and in the GIF (default {default})",
                          "số mili giây cho mỗi khung hình khi chạy và trong ảnh GIF (mặc định {default})"),
}

_WORKSHEETS: dict[str, tuple[str, str]] = {
    # the sheet
    "worksheet.title.gradients": ("Worksheet: the backward pass of {example} ({variant})",
                                  "Phiếu bài tập: lan truyền ngược của {example} ({variant})"),
    "worksheet.title.values": ("Worksheet: the forward pass of {example} ({variant})",
                               "Phiếu bài tập: lan truyền xuôi của {example} ({variant})"),
    "worksheet.title.both": ("Worksheet: the forward and backward passes of {example} ({variant})",
                             "Phiếu bài tập: lan truyền xuôi và lan truyền ngược của {example} ({variant})"),
    "worksheet.variant": ("variant {seed}", "đề số {seed}"),
    "worksheet.own_numbers": ("the notes' own numbers", "số liệu của bài giảng"),
    "worksheet.your_network": ("your network", "mạng của em"),
    "worksheet.feedforward": ("Feedforward", "Lan truyền xuôi"),
    "worksheet.backpropagation": ("Backpropagation", "Lan truyền ngược"),
    "worksheet.student": ("Name", "Họ và tên"),
    "worksheet.class": ("Class", "Lớp"),
    "worksheet.instructions.values": (
        "Work forward from the given numbers and compute the value of every tensor marked [1], [2], … in the "
        "graph. Write each answer in its box; a tensor of several elements as a list, row after row.",
        "Tính xuôi từ các số liệu cho trước để tìm giá trị của mọi tensor được đánh dấu [1], [2], … trên đồ thị. "
        "Ghi mỗi đáp số vào ô của nó; tensor có nhiều phần tử thì ghi thành một danh sách, lần lượt từng hàng."),
    "worksheet.instructions.gradients": (
        "The forward values are given. Work backward from the loss, where d{loss} = 1, and compute every "
        "gradient marked [1], [2], … in the graph; dX = ∂{loss}/∂X has the shape of X. Write each answer in "
        "its box; a tensor of several elements as a list, row after row.",
        "Các giá trị lan truyền xuôi đã cho sẵn. Tính ngược từ hàm mất mát, với d{loss} = 1, để tìm mọi đạo "
        "hàm được đánh dấu [1], [2], … trên đồ thị; dX = ∂{loss}/∂X có cùng kích thước với X. Ghi mỗi đáp số "
        "vào ô của nó; tensor có nhiều phần tử thì ghi thành một danh sách, lần lượt từng hàng."),
    "worksheet.instructions.both": (
        "First work forward from the given numbers to the value of every tensor marked with a blank, then "
        "backward from the loss, where d{loss} = 1, to every gradient marked with one; dX = ∂{loss}/∂X has the "
        "shape of X. Write each answer in its box; a tensor of several elements as a list, row after row.",
        "Trước hết tính xuôi từ các số liệu cho trước để tìm giá trị của mọi tensor có ô trống, sau đó tính "
        "ngược từ hàm mất mát, với d{loss} = 1, để tìm mọi đạo hàm có ô trống; dX = ∂{loss}/∂X có cùng kích "
        "thước với X. Ghi mỗi đáp số vào ô của nó; tensor có nhiều phần tử thì ghi thành một danh sách, lần "
        "lượt từng hàng."),
    "worksheet.rounding": (
        "Keep three significant digits: an answer within {relative} of the right value, give or take "
        "{absolute}, counts as right.",
        "Giữ ba chữ số có nghĩa: đáp số lệch so với giá trị đúng không quá {relative}, cộng thêm sai số "
        "{absolute}, được tính là đúng."),
    "worksheet.given": ("Given numbers", "Số liệu cho trước"),
    "worksheet.blanks": ("Blanks to fill in", "Các ô cần điền"),
    "worksheet.number": ("Blank", "Ô"),
    "worksheet.quantity": ("What to compute", "Đại lượng cần tính"),
    "worksheet.shape": ("Shape", "Kích thước"),
    "worksheet.answer": ("Your answer", "Đáp số của em"),
    "worksheet.tensor": ("Tensor", "Tensor"),
    "worksheet.value": ("Value", "Giá trị"),
    "worksheet.scalar": ("scalar", "vô hướng"),
    "worksheet.value_of": ("the value of {tensor}", "giá trị của {tensor}"),
    "worksheet.gradient_of": ("the gradient d{tensor} = ∂{loss}/∂{tensor}", "đạo hàm d{tensor} = ∂{loss}/∂{tensor}"),
    "worksheet.answers_file": (
        "To have it marked, write the answers in a text file, one line per blank, like 3 = 0.367 or "
        "5 = [0.206, 0.228].",
        "Để chấm bài, ghi đáp số vào một tệp văn bản, mỗi ô một dòng, ví dụ 3 = 0.367 hoặc 5 = [0.206; 0.228]."),
    "worksheet.how_to_check": ("To mark it: {command}", "Lệnh chấm bài: {command}"),
    # the marking
    "worksheet.marking": (
        "Marking {example} ({variant}): {count} blanks, {kind}; right within {relative} of the value, give or "
        "take {absolute}",
        "Chấm bài {example} ({variant}): {count} ô, {kind}; đúng khi lệch không quá {relative} so với giá trị "
        "đúng, cộng thêm sai số {absolute}"),
    "worksheet.kind.gradients": ("gradients", "đạo hàm"),
    "worksheet.kind.values": ("values", "giá trị"),
    "worksheet.kind.both": ("values and gradients", "giá trị và đạo hàm"),
    "worksheet.mark.right": ("right", "đúng"),
    "worksheet.mark.wrong": ("wrong", "sai"),
    "worksheet.mark.unanswered": ("unanswered", "chưa trả lời"),
    "worksheet.mark.unreadable": ("could not be read", "không đọc được"),
    "worksheet.you_wrote": ("you wrote {answer}, the right value is {value}",
                            "em ghi {answer}, giá trị đúng là {value}"),
    "worksheet.size_mismatch": ("you wrote {given} numbers where {expected} are asked; the right value is {value}",
                                "em ghi {given} số trong khi ô này cần {expected} số; giá trị đúng là {value}"),
    "worksheet.unreadable_text": ("{text} is not a number or a list of numbers",
                                  "{text} không phải là một số hay một danh sách số"),
    "worksheet.not_finite": ("{text} is not a finite number", "{text} không phải là một số hữu hạn"),
    "worksheet.unknown_blank": ("the answer to [{number}] was left aside: this sheet has blanks [1] to [{last}]",
                                "đã bỏ qua đáp số cho ô [{number}]: phiếu này chỉ có các ô từ [1] đến [{last}]"),
    "worksheet.how_to_get_it": ("How to get the right value:", "Cách tính ra giá trị đúng:"),
    "worksheet.with_inputs": ("with {inputs}", "với {inputs}"),
    "worksheet.starts_from": ("this step starts from {gradient} = {value}",
                              "bước này bắt đầu từ {gradient} = {value}"),
    "worksheet.starts_from_blank": ("this step starts from {gradient} = {value}, blank [{number}]",
                                    "bước này bắt đầu từ {gradient} = {value}, ô [{number}]"),
    "worksheet.sum_of_steps": ("{gradient} adds up what these {count} steps send back: {gradient} = {total}",
                               "{gradient} là tổng những gì {count} bước trên truyền về: {gradient} = {total}"),
    "worksheet.score": ("Score: {right} of {total} right ({wrong} wrong, {unanswered} unanswered, "
                        "{unreadable} unreadable)",
                        "Kết quả: đúng {right} trên {total} ô ({wrong} sai, {unanswered} chưa trả lời, "
                        "{unreadable} không đọc được)"),
    "worksheet.all_right": ("All right. Well done!", "Đúng hết. Giỏi lắm!"),
    # the commands' help
    "worksheet.help.exercise": ("write a worksheet with numbered blanks, and its answer key",
                                "tạo phiếu bài tập có các ô trống đánh số, kèm đáp án"),
    "worksheet.help.exercise_description": (
        "Write an example's graph with numbered blanks [1], [2], … in place of its values or gradients: as "
        "worksheet.FORMAT (graphviz), as a printable page worksheet.html, and the answer key answer_key.json, "
        "into --out.",
        "Vẽ đồ thị của một ví dụ với các ô trống đánh số [1], [2], … thay cho giá trị hoặc đạo hàm: thành tệp "
        "worksheet.FORMAT (graphviz), trang in được worksheet.html và đáp án answer_key.json, trong thư mục --out."),
    "worksheet.help.blank": ("what the blanks stand for: gradients (default), values or both",
                             "các ô trống thay cho gì: gradients (đạo hàm, mặc định), values (giá trị) "
                             "hay both (cả hai)"),
    "worksheet.help.out": ("folder to write into (default: the current one)",
                           "thư mục để ghi tệp (mặc định: thư mục hiện tại)"),
    "worksheet.help.seed": ("a student's variant: other inputs, weights and targets for the same network, drawn "
                            "from this number; 0 keeps the example's own numbers (default 0)",
                            "đề riêng cho từng học sinh: đầu vào, trọng số và nhãn khác cho cùng một mạng, sinh "
                            "từ số này; 0 giữ nguyên số liệu của ví dụ (mặc định 0)"),
    "worksheet.help.lang": ("language of the text (default en)", "ngôn ngữ của văn bản (mặc định en)"),
    "worksheet.help.format": ("picture format (default svg)", "định dạng hình vẽ (mặc định svg)"),
    "worksheet.help.precision": ("significant digits of the numbers shown (default 3)",
                                 "số chữ số có nghĩa của các số hiển thị (mặc định 3)"),
    "worksheet.help.check": ("mark a worksheet's answers, showing how to get each wrong one",
                             "chấm đáp số của phiếu bài tập, chỉ cách tính lại từng ô sai"),
    "worksheet.help.check_description": (
        "Mark each blank right or wrong, print the score and, for each wrong one, the step that gives the right "
        "value. The key is worked out again from the example, --blank and --seed (or read from --key). Exit "
        "status 0 when every blank is right, 1 when some are wrong or unanswered, or on an error.",
        "Chấm từng ô đúng hay sai, in kết quả và, với mỗi ô sai, bước tính ra giá trị đúng. Đáp án được tính lại "
        "từ ví dụ, --blank và --seed (hoặc đọc từ --key). Mã thoát 0 khi mọi ô đều đúng, 1 khi có ô sai hoặc "
        "chưa trả lời, hay khi có lỗi."),
    "worksheet.help.answers": ("the answers: a JSON object or lines like 3 = 0.367 and 5 = [0.206, 0.228]",
                               "tệp đáp số: một đối tượng JSON hoặc các dòng như 3 = 0.367 và 5 = [0.206; 0.228]"),
    "worksheet.help.key": ("an answer key written by exercise, used instead of working it out again",
                           "tệp đáp án do lệnh exercise ghi, dùng thay cho việc tính lại"),
    "worksheet.help.check_blank": ("the sheet's blanks, as given to exercise (default gradients, or the key's)",
                                   "loại ô trống của phiếu, như khi gọi exercise (mặc định gradients, "
                                   "hoặc theo đáp án)"),
    "worksheet.help.check_seed": ("the sheet's variant, as given to exercise (default 0, or the key's)",
                                  "số đề của phiếu, như khi gọi exercise (mặc định 0, hoặc theo đáp án)"),
    "worksheet.help.tolerance": ("relative tolerance: an answer a is right when |a − v| ≤ T·|v| + A for the "
                                 "right value v (default 0.01)",
                                 "sai số tương đối: đáp số a đúng khi |a − v| ≤ T·|v| + A với giá trị đúng v "
                                 "(mặc định 0.01)"),
    "worksheet.help.absolute": ("absolute tolerance A of that test (default 0.001)",
                                "sai số tuyệt đối A trong phép so sánh đó (mặc định 0.001)"),
}

_ANOMALY: dict[str, tuple[str, str]] = {
    "anomaly.title": ("anomaly", "bất thường"),
    "anomaly.forward": ("{op} produced {what} in the forward pass ({count} of {size} values)",
                        "{op} tạo ra {what} ở lượt truyền xuôi ({count} trên {size} giá trị)"),
    "anomaly.backward": ("the backward of {op} produced {what} in the gradient of its input {index} "
                         "({count} of {size} values)",
                         "lượt lan truyền ngược qua {op} tạo ra {what} trong gradient của đầu vào {index} "
                         "({count} trên {size} giá trị)"),
    "anomaly.applied_at": ("applied at {place}", "được gọi tại {place}"),
    "anomaly.created_at": ("that {op} was applied at {place}", "phép {op} đó được gọi tại {place}"),
    "anomaly.place_unknown": ("an unknown line (the op was recorded while anomaly mode was off; run the forward "
                              "pass inside tg.detect_anomaly() as well)",
                              "một dòng không rõ (phép toán được ghi lại khi chế độ phát hiện bất thường đang tắt; "
                              "hãy chạy cả lượt truyền xuôi bên trong tg.detect_anomaly())"),
    "anomaly.gradient_rule": ("its gradient rule: {rule}", "quy tắc gradient của nó: {rule}"),
    "anomaly.range": ("{role} ({shape}): min {low}, max {high}",
                      "{role} ({shape}): nhỏ nhất {low}, lớn nhất {high}"),
    "anomaly.range_empty": ("{role} ({shape}): no numbers to show", "{role} ({shape}): không có số nào để hiện"),
    "anomaly.range_all_nan": ("{role} ({shape}): every value is NaN", "{role} ({shape}): mọi giá trị đều là NaN"),
    "anomaly.held_nan": ("already held NaN at {count} position(s)", "đã chứa NaN ở {count} vị trí"),
    "anomaly.held_inf": ("already held ±Inf at {count} position(s)", "đã chứa ±Inf ở {count} vị trí"),
    "anomaly.and": ("{first} and {second}", "{first} và {second}"),
    "anomaly.role_input": ("input {index}", "đầu vào {index}"),
    "anomaly.role_gradient": ("gradient arriving at its output", "gradient đi tới đầu ra của nó"),
    "anomaly.why": ("why: {text}", "lý do: {text}"),
    "anomaly.fix": ("fix: {text}", "cách sửa: {text}"),
    "anomaly.no_fix": ("fix: no stable alternative is known for this op; look at the ranges of its inputs above",
                       "cách sửa: chưa biết cách viết ổn định nào thay cho phép toán này; hãy xem khoảng giá trị "
                       "của các đầu vào ở trên"),
    "anomaly.location": ("{file}:{line} in {function}", "{file}:{line}, trong {function}"),
    "anomaly.source_leaf": ("a leaf tensor: data, a constant or a parameter",
                            "một tensor lá: dữ liệu, hằng số hoặc tham số"),
    "anomaly.source_at": ("{ops}, applied at {place}", "{ops}, được gọi tại {place}"),
    "anomaly.from_outside.why": ("an input already held NaN or ±Inf before this op, so it came from outside what "
                                 "anomaly mode checked: the data, a parameter that an optimizer step turned NaN, or "
                                 "ops run before the mode was on",
                                 "một đầu vào đã chứa NaN hoặc ±Inf trước phép toán này, tức là nó đến từ bên ngoài "
                                 "phần mà chế độ phát hiện bất thường kiểm tra: dữ liệu, một tham số bị bước cập "
                                 "nhật của optimizer biến thành NaN, hoặc các phép toán chạy trước khi bật chế độ"),
    "anomaly.from_outside.fix": ("check the data with np.isfinite; if a parameter turned NaN after a step, lower the "
                                 "learning rate",
                                 "kiểm tra dữ liệu bằng np.isfinite; nếu một tham số thành NaN sau một bước cập "
                                 "nhật, hãy giảm tốc độ học"),
    "anomaly.gradient_in.why": ("the gradient arriving at its output already held NaN or ±Inf (the gradient given "
                                "to backward(), or one a gradient hook returned)",
                                "gradient đi tới đầu ra của nó đã chứa NaN hoặc ±Inf (gradient truyền cho "
                                "backward(), hoặc gradient do một hook trả về)"),
    "anomaly.gradient_in.fix": ("check the gradient passed to backward(grad=...) and what the gradient hooks return",
                                "kiểm tra gradient truyền vào backward(grad=...) và giá trị mà các hook gradient "
                                "trả về"),
    "anomaly.log_softmax.why": ("log of a softmax: a probability that underflows to 0 gives log 0 = −Inf",
                                "log của softmax: một xác suất bị tràn dưới về 0 cho log 0 = −Inf"),
    "anomaly.log_softmax.fix": ("use log_softmax(x, dim) on the logits (or cross_entropy, which takes the logits), "
                                "which never forms that 0",
                                "dùng log_softmax(x, dim) trên các logit (hoặc cross_entropy, hàm nhận thẳng logit); "
                                "cách này không bao giờ tạo ra số 0 đó"),
    "anomaly.bce_sigmoid.why": ("binary cross-entropy of a sigmoid: once σ saturates at 0 or 1 the log is clamped "
                                "and the gradient vanishes",
                                "entropy chéo nhị phân của một sigmoid: khi σ bão hoà ở 0 hoặc 1, log bị chặn và "
                                "gradient triệt tiêu"),
    "anomaly.bce_sigmoid.fix": ("drop the sigmoid and pass the logits z to binary_cross_entropy_with_logits(z, y)",
                                "bỏ sigmoid và đưa thẳng logit z vào binary_cross_entropy_with_logits(z, y)"),
    "anomaly.log_sigmoid.why": ("log of a sigmoid (or of 1 − sigmoid): σ saturates at 0 or 1 and the log reaches "
                                "log 0 = −Inf",
                                "log của sigmoid (hoặc của 1 − sigmoid): σ bão hoà ở 0 hoặc 1 nên log chạm tới "
                                "log 0 = −Inf"),
    "anomaly.log_sigmoid.fix": ("for a loss, binary_cross_entropy_with_logits(z, y); otherwise write log σ(z) as "
                                "−softplus(−z) and log(1 − σ(z)) as −softplus(z)",
                                "với hàm mất mát, dùng binary_cross_entropy_with_logits(z, y); còn không thì viết "
                                "log σ(z) thành −softplus(−z) và log(1 − σ(z)) thành −softplus(z)"),
    "anomaly.exp_overflow.why": ("exp overflows: its largest input was {high}, and eˣ passes the largest {dtype} "
                                 "once x is above {limit}",
                                 "exp bị tràn số: đầu vào lớn nhất của nó là {high}, mà eˣ vượt quá số {dtype} lớn "
                                 "nhất khi x lớn hơn {limit}"),
    "anomaly.exp_unshifted.why": ("exp of an input not shifted by its max, then summed or divided (a softmax "
                                  "written by hand): it overflows once an input passes about 88 in float32",
                                  "exp của một đầu vào chưa trừ đi giá trị lớn nhất, rồi đem cộng hoặc chia (softmax "
                                  "tự viết): nó tràn số khi một đầu vào vượt quá khoảng 88 với float32"),
    "anomaly.exp_fix": ("subtract the max first, x − x.amax(dim, keepdim=True), as softmax and logsumexp do (or use "
                        "softmax, log_softmax or logsumexp)",
                        "trừ đi giá trị lớn nhất trước, x − x.amax(dim, keepdim=True), như softmax và logsumexp vẫn "
                        "làm (hoặc dùng luôn softmax, log_softmax hay logsumexp)"),
    "anomaly.division_by_zero.why": ("division by {operand}, which can be exactly 0 (it comes from {source})",
                                     "phép chia cho {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source})"),
    "anomaly.division_by_zero.seen": ("the divisor was 0 at {count} position(s) (it comes from {source})",
                                      "số chia bằng 0 tại {count} vị trí (nó đến từ {source})"),
    "anomaly.division_by_zero.fix": ("keep the divisor away from 0: add a small epsilon, x / (d + 1e-8), or clamp "
                                     "it, d.clamp(min=1e-8)",
                                     "giữ số chia tránh xa 0: cộng thêm một epsilon nhỏ, x / (d + 1e-8), hoặc chặn "
                                     "dưới nó, d.clamp(min=1e-8)"),
    "anomaly.log_of_zero.why": ("log of {operand}, which can be exactly 0 (it comes from {source}): log 0 = −Inf",
                                "log của {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source}): log 0 = −Inf"),
    "anomaly.log_of_zero.seen": ("the log's input was 0 or below at {count} position(s) (it comes from {source}): "
                                 "log 0 = −Inf and the log of a negative number is NaN",
                                 "đầu vào của log đã chạm 0 hoặc xuống dưới 0 ở {count} vị trí (nó đến từ "
                                 "{source}): log 0 = −Inf còn log của một số âm là NaN"),
    "anomaly.log_of_zero.fix": ("keep the input above 0: add a small epsilon, log(p + 1e-8), or clamp it, "
                                "p.clamp(min=1e-8)",
                                "giữ đầu vào lớn hơn 0: cộng thêm một epsilon nhỏ, log(p + 1e-8), hoặc chặn dưới "
                                "nó, p.clamp(min=1e-8)"),
    "anomaly.sqrt_at_zero.why": ("square root of {operand}, which can be exactly 0 (it comes from {source}): the "
                                 "gradient 1 / (2√x) is infinite there",
                                 "căn bậc hai của {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source}): "
                                 "gradient 1 / (2√x) tại đó là vô cùng"),
    "anomaly.sqrt_at_zero.seen": ("the square root was taken at 0 at {count} position(s) (its input comes from "
                                  "{source}), where its gradient 1 / (2√x) is infinite",
                                  "căn bậc hai được lấy tại 0 ở {count} vị trí (đầu vào của nó đến từ {source}), "
                                  "nơi gradient 1 / (2√x) là vô cùng"),
    "anomaly.sqrt_at_zero.fix": ("add a small epsilon inside the root, (s + 1e-12).sqrt(), or use x.norm(), whose "
                                 "gradient at 0 is taken as 0",
                                 "cộng một epsilon nhỏ vào trong căn, (s + 1e-12).sqrt(), hoặc dùng x.norm(), hàm "
                                 "có gradient tại 0 được lấy bằng 0"),
    "anomaly.sqrt_negative.why": ("the square root of a negative number is NaN: {count} input value(s) were below 0",
                                  "căn bậc hai của một số âm là NaN: có {count} giá trị đầu vào nhỏ hơn 0"),
    "anomaly.sqrt_negative.fix": ("make sure the input cannot go below 0 (a variance computed by hand can, by "
                                  "rounding), or clamp it, v.clamp(min=0)",
                                  "bảo đảm đầu vào không thể xuống dưới 0 (phương sai tự tính có thể bị như vậy do "
                                  "làm tròn), hoặc chặn dưới nó, v.clamp(min=0)"),
    "anomaly.overflow.why": ("the result grew past the largest {dtype} from finite inputs (the largest |input| was "
                             "{high})",
                             "kết quả vượt quá số {dtype} lớn nhất dù các đầu vào đều hữu hạn (|đầu vào| lớn nhất là "
                             "{high})"),
    "anomaly.overflow.fix": ("values this large usually mean training diverged: lower the learning rate, or "
                             "normalise the inputs",
                             "giá trị lớn như vậy thường có nghĩa là quá trình huấn luyện đã phân kỳ: hãy giảm tốc độ "
                             "học, hoặc chuẩn hoá đầu vào"),
    "anomaly.lint.where": ("at {place}", "tại {place}"),
    "anomaly.lint.where_unknown": ("line not recorded (build the graph inside tg.detect_anomaly(check_nan=False) to "
                                   "see it)",
                                   "chưa ghi lại dòng lệnh (hãy dựng đồ thị bên trong "
                                   "tg.detect_anomaly(check_nan=False) để thấy nó)"),
    "anomaly.lint.clean": ("tg.lint: no known unstable composition in this graph",
                           "tg.lint: không có tổ hợp kém ổn định nào đã biết trong đồ thị này"),
    "anomaly.lint.header": ("tg.lint: {count} known unstable composition(s) in this graph",
                            "tg.lint: {count} tổ hợp kém ổn định đã biết trong đồ thị này"),
}

_COMMANDS: dict[str, tuple[str, str]] = {
    # argparse's own words, for every teaching command
    "commands.usage": ("usage: ", "cách dùng: "),
    "commands.options": ("options", "tùy chọn"),
    "commands.positionals": ("positional arguments", "đối số theo vị trí"),
    "commands.help": ("show this help and exit", "hiện phần trợ giúp này rồi thoát"),
    # --example and --layers, shared
    "commands.example": (
        "the example network. seed000: the note's 1-2-1 sigmoid network on x = 0.5, y = 0.5; seed001: the "
        "note's ReLU, sigmoid and softmax network on one sample, L = −Σ y_k ln o_k; seed004: the note's 2-3-4-1 "
        "sigmoid network on four Learn/Sleep records, binary cross-entropy summed; mlp: a ReLU MLP with "
        "cross-entropy on a random batch (default {default})",
        "mạng ví dụ. seed000: mạng sigmoid 1-2-1 của bài ghi với x = 0.5, y = 0.5; seed001: mạng ReLU, sigmoid "
        "rồi softmax của bài ghi trên một mẫu, L = −Σ y_k ln o_k; seed004: mạng sigmoid 2-3-4-1 của bài ghi trên "
        "bốn bản ghi Learn/Sleep, binary cross-entropy lấy tổng; mlp: một MLP dùng ReLU với cross-entropy trên "
        "một lô dữ liệu ngẫu nhiên (mặc định {default})"),
    "commands.layers": ("the MLP's layer sizes, comma-separated (default {default})",
                        "kích thước các lớp của MLP, cách nhau bởi dấu phẩy (mặc định {default})"),
    "commands.lang": ("the language of the output and of this help, en or vi (default en; the help also "
                      "follows $TINYGRAD_VN_LANG)",
                      "ngôn ngữ của kết quả và của phần trợ giúp này, en hoặc vi (mặc định en; phần trợ giúp "
                      "cũng theo biến $TINYGRAD_VN_LANG)"),
    # explain
    "commands.explain.help": ("print the gradient equations backward applied, and each parameter's chain rule",
                              "in các phương trình đạo hàm mà lan truyền ngược đã áp dụng, và quy tắc chuỗi "
                              "của từng tham số"),
    "commands.explain.description": (
        "Print, in the order backward ran, each op's gradient rule with the example's names, shapes and "
        "numbers, then the chain rule for every parameter element (as seed 000 does by hand).",
        "In ra, theo thứ tự lan truyền ngược đã chạy, quy tắc đạo hàm của từng phép toán với tên, kích thước "
        "và số liệu của ví dụ, rồi quy tắc chuỗi cho từng phần tử tham số (như seed 000 tính tay)."),
    "commands.explain.precision": ("significant digits of the numbers (default {default})",
                                   "số chữ số có nghĩa của các con số (mặc định {default})"),
    "commands.explain.format": ("text, Markdown, or a LaTeX body for a document with amsmath (default text)",
                                "văn bản thường (text), Markdown, hoặc phần thân LaTeX cho tài liệu dùng "
                                "amsmath (mặc định text)"),
    "commands.explain.paths": ("also list every path from the loss to each parameter element, beside .grad",
                               "liệt kê thêm mọi đường đi từ hàm mất mát tới từng phần tử tham số, đặt cạnh .grad"),
    # graph
    "commands.graph.help": ("draw an example's forward and backward graphs (graphviz)",
                            "vẽ đồ thị lan truyền tiến và lan truyền ngược của một ví dụ (graphviz)"),
    "commands.graph.description": (
        "Write EXAMPLE_forward.FORMAT and EXAMPLE_backward.FORMAT into --out. The pictures need graphviz's "
        "`dot` program; --format dot writes the DOT text without it.",
        "Ghi hai tệp EXAMPLE_forward.FORMAT và EXAMPLE_backward.FORMAT vào thư mục --out. Các hình vẽ cần "
        "chương trình `dot` của graphviz; --format dot ghi văn bản DOT mà không cần nó."),
    "commands.graph.format": ("picture format: svg, png, pdf or dot (default svg)",
                              "định dạng hình vẽ: svg, png, pdf hoặc dot (mặc định svg)"),
    "commands.graph.out": ("the folder to write into (default: the current one)",
                           "thư mục để ghi vào (mặc định: thư mục hiện tại)"),
    "commands.graph.rankdir": ("TB draws top to bottom, which reads best in a file; LR left to right "
                               "(default TB)",
                               "TB vẽ từ trên xuống, dễ đọc nhất khi xem tệp; LR vẽ từ trái sang phải "
                               "(mặc định TB)"),
    "commands.graph.collapse": ("draw each module as one box", "vẽ mỗi module thành một khối"),
}

_BLOCKS = (_GENERAL, _EXPLAIN, _DRAWINGS, _ANIMATION, _WORKSHEETS, _ANOMALY, _COMMANDS)

BUILT_IN_LANGUAGES = ("en", "vi")


def _union(blocks: tuple[dict[str, tuple[str, str]], ...]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for block in blocks:
        for key, texts in block.items():
            if key in table:
                raise RuntimeError(f"phrase key {key!r} is defined twice")
            table[key] = dict(zip(BUILT_IN_LANGUAGES, texts, strict=True))
    return table


PHRASES: dict[str, dict[str, str]] = _union(_BLOCKS)
"""key -> {language code -> text}; English and Vietnamese for every key, other languages as added."""


def languages() -> tuple[str, ...]:
    """The language codes every phrase has: the built-in ones and any added with :func:`add_language`.

    >>> languages()[:2]
    ('en', 'vi')
    """
    codes = set.intersection(*(set(texts) for texts in PHRASES.values()))
    return tuple(sorted(codes, key=lambda code: (code not in BUILT_IN_LANGUAGES, code)))


def check_language(lang: str) -> str:
    """``lang`` itself when every phrase has it, else a ValueError naming the languages there are.

    >>> check_language("vi")
    'vi'
    """
    if lang not in languages():
        raise ValueError(f"lang must be one of {', '.join(map(repr, languages()))}, got {lang!r}")
    return lang


def phrase(key: str, lang: str = "en", **fields: object) -> str:
    """The phrase ``key`` in ``lang`` with its ``{fields}`` filled in.

    >>> phrase("phrases.example", "en", count=2)
    '2 example'
    """
    check_language(lang)
    if key not in PHRASES:
        raise KeyError(f"no phrase {key!r} in the phrase table")
    text = PHRASES[key][lang]
    try:
        return text.format(**fields)
    except KeyError as missing:
        raise KeyError(f"phrase {key!r} needs the field {missing.args[0]!r}") from None


def _fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def missing_translations(lang: str) -> list[str]:
    """The keys that have no text in ``lang`` (empty when the language is complete).

    >>> missing_translations("vi")
    []
    """
    return sorted(key for key, texts in PHRASES.items() if not texts.get(lang))


def add_language(lang: str, translations: Mapping[str, str]) -> None:
    """Add the language ``lang`` from a mapping of every key to its text, with the same ``{fields}``.

    Refuses, naming them, keys that are missing or unknown and texts whose fields differ from English.

    >>> add_language("xx", {key: texts["en"] + "!" for key, texts in PHRASES.items()})
    >>> phrase("phrases.example", "xx", count=4)
    '4 example!'
    >>> remove_language("xx")
    """
    if not isinstance(lang, str) or not lang.isidentifier() or lang in BUILT_IN_LANGUAGES:
        raise ValueError(f"a new language needs a code such as 'fr' that is not built in, got {lang!r}")
    missing = sorted(set(PHRASES) - set(translations))
    unknown = sorted(set(translations) - set(PHRASES))
    if missing or unknown:
        raise ValueError(f"language {lang!r}: missing keys {missing[:5]}{' …' if len(missing) > 5 else ''}; "
                         f"unknown keys {unknown[:5]}{' …' if len(unknown) > 5 else ''}")
    mismatched = [key for key, text in translations.items()
                  if not isinstance(text, str) or _fields_of(text) != _fields_of(PHRASES[key]["en"])]
    if mismatched:
        raise ValueError(f"language {lang!r}: these texts must be strings with the same {{fields}} as the "
                         f"English: {mismatched[:5]}")
    for key, text in translations.items():
        PHRASES[key][lang] = text


def remove_language(lang: str) -> None:
    """Take back a language added with :func:`add_language` (the built-in ones stay).

    >>> remove_language("en")
    Traceback (most recent call last):
    ...
    ValueError: 'en' is built in and cannot be removed
    """
    if lang in BUILT_IN_LANGUAGES:
        raise ValueError(f"{lang!r} is built in and cannot be removed")
    for texts in PHRASES.values():
        texts.pop(lang, None)


def english_left_in(text: str, lang: str) -> list[str]:
    """The English phrases of the table (of three words or more) that appear in ``text``.

    A ``lang="vi"`` output should give ``[]``; the tests use this to find untranslated words.

    >>> english_left_in("3 ví dụ", "vi")
    []
    """
    check_language(lang)
    if lang == "en":
        return []
    found = []
    for texts in PHRASES.values():
        for piece in _literal_pieces(texts["en"]):
            if len(piece.split()) >= 3 and piece not in texts[lang] and piece in text:
                found.append(piece)
    return sorted(set(found))


def _literal_pieces(text: str) -> list[str]:
    return [literal.strip() for literal, _, _, _ in string.Formatter().parse(text) if literal.strip()]
