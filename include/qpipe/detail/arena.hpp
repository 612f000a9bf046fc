// The compile-time arena planner. Each intermediate buffer is live from the step that writes it
// to the last step that reads it (a residual's input stays live until its add); two buffers may
// share bytes only if they are never live at the same step, with one exception: a step's output
// may lie over an input that no later step reads, when the step's kernel promises the order of
// its reads and writes (detail/read_front.hpp) -- the output then starts at least the kernel's
// lead before that input (a kernel walking its output from the front), or at least the lead after
// the input's start (from the back). The lower bound on any placement is the most bytes live
// during one step, less what such an overlap can save there; the planner places buffers to reach
// it where it can.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "qpipe/detail/read_front.hpp"

namespace qpipe::detail {

template <std::size_t Steps>
struct ArenaPlan {
  // Byte offset of each intermediate buffer (1 .. Steps-1). Buffer 0 (the input) and buffer
  // Steps (the output) belong to the caller.
  std::array<std::size_t, Steps + 1> offset{};
  std::size_t bytes = 0;      // the arena's size
  std::size_t peak_live = 0;  // the lower bound: the most intermediate bytes live during one step, less the overlaps
  std::size_t peak_live_apart = 0;  // the most intermediate bytes live during one step: the bound with no overlap
  // For each intermediate buffer read last by a step whose output may overlap it: that distance
  // (the output's start at least this far before the buffer's, or after its start where after[b]),
  // else no_lead.
  std::array<std::size_t, Steps + 1> lead{};
  std::array<bool, Steps + 1> after{};
};

template <std::size_t Steps>
struct Lifetimes {
  std::array<std::size_t, Steps + 1> first{};  // the step that writes the buffer
  std::array<std::size_t, Steps + 1> last{};   // the last step that reads it
  constexpr bool overlap(std::size_t a, std::size_t b) const { return first[a] <= last[b] && first[b] <= last[a]; }
};

// readers[k] lists what step k reads: {source, other}, other == none for one-input steps.
template <std::size_t Steps>
constexpr Lifetimes<Steps> lifetimes(const std::array<std::array<std::size_t, 2>, Steps>& reads, std::size_t none) {
  Lifetimes<Steps> t{};
  for (std::size_t b = 1; b <= Steps; ++b) t.first[b] = t.last[b] = b - 1;
  for (std::size_t k = 0; k < Steps; ++k) {
    for (std::size_t r : reads[k]) {
      if (r != none && r > 0 && k > t.last[r]) t.last[r] = k;
    }
  }
  return t;
}

// The most intermediate bytes (buffers 1 .. Steps-1) live during one step: each buffer adds its
// bytes where its life begins and takes them away after it ends.
template <std::size_t Steps>
constexpr std::size_t peak_live_bytes(const std::array<std::size_t, Steps + 1>& bytes, const Lifetimes<Steps>& t) {
  std::array<std::size_t, Steps + 1> begins{}, ends{};
  for (std::size_t b = 1; b < Steps; ++b) {
    begins[t.first[b]] += bytes[b];
    ends[t.last[b] + 1] += bytes[b];
  }
  std::size_t live = 0, peak = 0;
  for (std::size_t k = 0; k < Steps; ++k) {
    live = live + begins[k] - ends[k];
    peak = live > peak ? live : peak;
  }
  return peak;
}

// For each intermediate buffer b, how its last reader's output may overlap it (plan.lead[b] ==
// no_lead: not at all). overlaps[k] holds step k's for each input it reads ({first, second};
// detail::overlap_of its kernel's promise). Only where b is in the arena, step k = last[b] writes
// an arena buffer (not the caller's output) and b is not the caller's input; a buffer step k reads
// twice takes the larger lead (none if their sides differ); a lead that reaches the size of the
// buffer it must clear (the output ahead of the input, the input ahead of the output) saves
// nothing.
template <std::size_t Steps>
constexpr void overlap_leads(ArenaPlan<Steps>& plan, const std::array<std::size_t, Steps + 1>& bytes,
                             const std::array<std::array<std::size_t, 2>, Steps>& reads,
                             const std::array<std::array<Overlap, 2>, Steps>& overlaps, std::size_t none,
                             const Lifetimes<Steps>& t) {
  for (std::size_t b = 0; b <= Steps; ++b) plan.lead[b] = no_lead, plan.after[b] = false;
  for (std::size_t b = 1; b < Steps; ++b) {
    const std::size_t k = t.last[b];
    if (k + 1 >= Steps || k < b) continue;  // read by nobody after it is written, or last read by the final step
    Overlap o{0, false};
    bool reads_it = false;
    for (std::size_t s = 0; s < 2; ++s) {
      if (reads[k][s] == none || reads[k][s] != b) continue;
      const Overlap& x = overlaps[k][s];
      if (x.lead == no_lead || o.lead == no_lead || (reads_it && x.after != o.after)) {
        o.lead = no_lead;
      } else {
        o = {x.lead > o.lead ? x.lead : o.lead, x.after};
      }
      reads_it = true;
    }
    const std::size_t cleared = o.after ? bytes[b] : bytes[k + 1];
    if (reads_it && o.lead != no_lead && o.lead < cleared && bytes[b] > 0)
      plan.lead[b] = o.lead, plan.after[b] = o.after;
  }
}

// The lower bound with overlaps: at each step, the live bytes less, for each input the step's
// output may overlap, the bytes they can share (min(input, output - lead) with the output ahead,
// min(output, input - lead) with the input ahead). Sound for two such inputs of one step as well:
// they are disjoint, so the output shares at most that with each.
template <std::size_t Steps>
constexpr std::size_t peak_live_overlapped(const std::array<std::size_t, Steps + 1>& bytes, const Lifetimes<Steps>& t,
                                           const ArenaPlan<Steps>& plan) {
  std::array<std::size_t, Steps + 1> begins{}, ends{}, shared{};
  for (std::size_t b = 1; b < Steps; ++b) {
    begins[t.first[b]] += bytes[b];
    ends[t.last[b] + 1] += bytes[b];
    if (plan.lead[b] != no_lead) {
      const std::size_t out = bytes[t.last[b] + 1];
      const std::size_t can = plan.after[b] ? (out < bytes[b] - plan.lead[b] ? out : bytes[b] - plan.lead[b])
                                            : (bytes[b] < out - plan.lead[b] ? bytes[b] : out - plan.lead[b]);
      shared[t.last[b]] += can;
    }
  }
  std::size_t live = 0, peak = 0;
  for (std::size_t k = 0; k < Steps; ++k) {
    live = live + begins[k] - ends[k];
    const std::size_t need = live - shared[k];
    peak = need > peak ? need : peak;
  }
  return peak;
}

// For each intermediate buffer, the others live at some step of its life, in one flat array
// (begin[b] .. begin[b + 1]). Buffer b is written at step b - 1, so the later buffers it meets
// are b + 1 .. last[b] + 1, and each pair is found once from its earlier buffer: the work is
// the number of such pairs, not the square of the number of buffers.
template <std::size_t Steps>
struct Neighbours {
  std::array<std::size_t, Steps + 2> begin{};
  std::vector<std::size_t> list;

  constexpr explicit Neighbours(const Lifetimes<Steps>& t) {
    std::array<std::size_t, Steps + 1> count{};
    for (std::size_t b = 1; b < Steps; ++b)
      for (std::size_t o = b + 1; o < Steps && t.first[o] <= t.last[b]; ++o) ++count[b], ++count[o];
    for (std::size_t b = 0; b <= Steps; ++b) begin[b + 1] = begin[b] + count[b];
    // assign, not resize: libstdc++ 12's resize of a trivial type fills the new storage with
    // std::fill_n before any element's lifetime began, which clang refuses in a constant
    // expression (GCC lets it pass); assign constructs each element.
    list.assign(begin[Steps + 1], 0);
    std::array<std::size_t, Steps + 1> next{};
    for (std::size_t b = 0; b <= Steps; ++b) next[b] = begin[b];
    for (std::size_t b = 1; b < Steps; ++b)
      for (std::size_t o = b + 1; o < Steps && t.first[o] <= t.last[b]; ++o) list[next[b]++] = o, list[next[o]++] = b;
  }
  constexpr const std::size_t* of(std::size_t b) const { return list.data() + begin[b]; }
  constexpr const std::size_t* end_of(std::size_t b) const { return list.data() + begin[b + 1]; }
};

// What a placement must respect: each buffer's bytes, the buffers it shares a step with, and the
// overlaps allowed (lead[b]: b's last reader's output, buffer overlapped_by[b], may start lead[b]
// or more before b, or lead[b] or more after b's start where after[b]).
template <std::size_t Steps>
struct Rules {
  const std::array<std::size_t, Steps + 1>& bytes;
  const Neighbours<Steps>& n;
  const std::array<std::size_t, Steps + 1>& lead;
  const std::array<bool, Steps + 1>& after;
  const std::array<std::size_t, Steps + 1>& overlapped_by;

  // Input `in` at in_at and the output that may overlap it at out_at.
  constexpr bool overlap_allowed(std::size_t in, std::size_t in_at, std::size_t out_at) const {
    return after[in] ? in_at + lead[in] <= out_at : out_at + lead[in] <= in_at;
  }
  // Buffer b at `at` beside buffer o at `other` (both live at some step).
  constexpr bool compatible(std::size_t b, std::size_t at, std::size_t o, std::size_t other) const {
    if (at + bytes[b] <= other || other + bytes[o] <= at) return true;
    if (lead[b] != no_lead && overlapped_by[b] == o) return overlap_allowed(b, at, other);  // o writes over b
    if (lead[o] != no_lead && overlapped_by[o] == b) return overlap_allowed(o, other, at);  // b writes over o
    return false;
  }
};

// Placement state shared by the strategies below. Each query looks only at the buffers that
// share a step with the one being placed.
template <std::size_t Steps>
struct Placement {
  static constexpr std::size_t nowhere = static_cast<std::size_t>(-1);
  std::array<std::size_t, Steps + 1> offset{};
  std::array<bool, Steps + 1> placed{};
  std::size_t end = 0;

  constexpr bool fits(std::size_t b, std::size_t at, const Rules<Steps>& r) const {
    for (const std::size_t* o = r.n.of(b); o != r.n.end_of(b); ++o) {
      if (placed[*o] && !r.compatible(b, at, *o, offset[*o])) return false;
    }
    return true;
  }
  // Calls f(at) for each place where b may start next to a placed neighbour: 0, right after one,
  // right before one, and where an overlap allowed puts it exactly its lead away.
  template <class F>
  constexpr void each_candidate(std::size_t b, const Rules<Steps>& r, F f) const {
    f(std::size_t{0});
    for (const std::size_t* o = r.n.of(b); o != r.n.end_of(b); ++o) {
      if (!placed[*o]) continue;
      const std::size_t at = offset[*o];
      f(at + r.bytes[*o]);
      if (at >= r.bytes[b]) f(at - r.bytes[b]);
      // b an input, *o the output over it; b the output over input *o.
      if (r.lead[b] != no_lead && r.overlapped_by[b] == *o) {
        if (!r.after[b])
          f(at + r.lead[b]);
        else if (at >= r.lead[b])
          f(at - r.lead[b]);
      }
      if (r.lead[*o] != no_lead && r.overlapped_by[*o] == b) {
        if (r.after[*o])
          f(at + r.lead[*o]);
        else if (at >= r.lead[*o])
          f(at - r.lead[*o]);
      }
    }
  }
  // The lowest offset where b fits.
  constexpr std::size_t lowest(std::size_t b, const Rules<Steps>& r) const {
    std::size_t best = nowhere;
    each_candidate(b, r, [&](std::size_t at) {
      if (at < best && fits(b, at, r)) best = at;
    });
    return best;
  }
  // The highest offset at or below limit - size where b fits, or nowhere.
  constexpr std::size_t highest(std::size_t b, std::size_t limit, const Rules<Steps>& r) const {
    if (r.bytes[b] > limit) return nowhere;
    std::size_t best = nowhere;
    auto consider = [&](std::size_t at) {
      if (at + r.bytes[b] <= limit && fits(b, at, r) && (best == nowhere || at > best)) best = at;
    };
    consider(limit - r.bytes[b]);
    each_candidate(b, r, consider);
    return best;
  }
  constexpr void put(std::size_t b, std::size_t at, const std::array<std::size_t, Steps + 1>& bytes) {
    offset[b] = at;
    placed[b] = true;
    end = at + bytes[b] > end ? at + bytes[b] : end;
  }
};

// First fit in a given order (TFLite Micro's greedy planner uses largest-first).
template <std::size_t Steps>
constexpr Placement<Steps> first_fit(const Rules<Steps>& r, const std::array<std::size_t, Steps + 1>& order,
                                     std::size_t count) {
  Placement<Steps> p{};
  for (std::size_t i = 0; i < count; ++i) p.put(order[i], p.lowest(order[i], r), r.bytes);
  return p;
}

// Depth-first search in production order, each buffer at the lowest or the highest place under
// the target; stops entering new buffers after a fixed number of placements so compile time
// stays bounded. An
// explicit stack of choices (not recursion: a deep network would exceed the constexpr depth), and
// a placement is undone rather than copied.
template <std::size_t Steps>
constexpr bool place_under(Placement<Steps>& p, std::size_t target, const Rules<Steps>& r, std::size_t budget) {
  constexpr std::size_t none = Placement<Steps>::nowhere;
  const auto& bytes = r.bytes;
  struct Choice {
    std::size_t low, high;
    int tried;  // 0: none yet, 1: low, 2: high
  };
  std::vector<Choice> stack;
  std::size_t b = 1;
  bool entering = true;  // true: b is new, take its candidates; false: b's last choice failed
  while (true) {
    if (b >= Steps) return true;
    if (entering) {
      if (budget == 0) {  // this buffer fails; the one before may still try its other place
        if (stack.empty()) return false;
        --b;
        entering = false;
        continue;
      }
      --budget;
      stack.push_back({p.lowest(b, r), p.highest(b, target, r), 0});
    }
    Choice& c = stack.back();
    if (c.tried > 0) p.placed[b] = false;  // undo the choice that failed below
    std::size_t at = none;
    while (at == none && c.tried < 2) {
      const std::size_t candidate = c.tried == 0 ? c.low : c.high;
      const bool repeat = c.tried == 1 && c.low == c.high;
      ++c.tried;
      if (!repeat && candidate != none && candidate + bytes[b] <= target) at = candidate;
      if (repeat) c.tried = 2;
    }
    if (at != none) {
      p.offset[b] = at;
      p.placed[b] = true;
      ++b;
      entering = true;
      continue;
    }
    stack.pop_back();
    if (stack.empty()) return false;
    --b;
    entering = false;
  }
}

// Stable merge sort of order[0 .. count) by `before` (an insertion sort is quadratic in a deep
// network).
template <std::size_t Steps, class Before>
constexpr void sort_buffers(std::array<std::size_t, Steps + 1>& order, std::size_t count, Before before) {
  std::array<std::size_t, Steps + 1> scratch{};
  for (std::size_t width = 1; width < count; width *= 2) {
    for (std::size_t lo = 0; lo < count; lo += 2 * width) {
      const std::size_t mid = lo + width < count ? lo + width : count;
      const std::size_t hi = lo + 2 * width < count ? lo + 2 * width : count;
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) scratch[k++] = before(order[j], order[i]) ? order[j++] : order[i++];
      while (i < mid) scratch[k++] = order[i++];
      while (j < hi) scratch[k++] = order[j++];
    }
    for (std::size_t i = 0; i < count; ++i) order[i] = scratch[i];
  }
}

// overlaps[k]: how step k's output may lie over each input ({first, second}), no_lead where its
// kernel promises no order (detail/read_front.hpp) or may not overlap (a view, a kernel that
// expands its input).
template <std::size_t Steps>
constexpr ArenaPlan<Steps> plan_arena(const std::array<std::size_t, Steps + 1>& bytes,
                                      const std::array<std::array<std::size_t, 2>, Steps>& reads, std::size_t none,
                                      const std::array<std::array<Overlap, 2>, Steps>& overlaps) {
  const Lifetimes<Steps> t = lifetimes(reads, none);
  ArenaPlan<Steps> plan{};
  plan.peak_live_apart = peak_live_bytes(bytes, t);
  overlap_leads(plan, bytes, reads, overlaps, none, t);
  plan.peak_live = peak_live_overlapped(bytes, t, plan);
  if constexpr (Steps < 2) {
    return plan;  // no intermediate buffer
  } else {
    const Neighbours<Steps> n{t};
    std::array<std::size_t, Steps + 1> overlapped_by{};
    for (std::size_t b = 1; b < Steps; ++b) overlapped_by[b] = t.last[b] + 1;
    const Rules<Steps> r{bytes, n, plan.lead, plan.after, overlapped_by};
    constexpr std::size_t count = Steps - 1;
    // Four orders of first fit, the best kept: largest first (ties in production order, and in
    // reverse), production order, and reverse production order -- which places a chain of
    // overlapping buffers from its end, each input its lead above the output before it.
    std::array<std::size_t, Steps + 1> in_order{}, reverse{};
    for (std::size_t i = 0; i < count; ++i) in_order[i] = i + 1, reverse[i] = count - i;
    std::array<std::size_t, Steps + 1> largest_first = in_order, largest_first_late = reverse;
    sort_buffers<Steps>(largest_first, count, [&](std::size_t a, std::size_t b) { return bytes[a] > bytes[b]; });
    sort_buffers<Steps>(largest_first_late, count, [&](std::size_t a, std::size_t b) { return bytes[a] > bytes[b]; });
    const auto search = [&](const Rules<Steps>& rules, std::size_t bound) {
      Placement<Steps> best = first_fit(rules, largest_first, count);
      const std::array<const std::array<std::size_t, Steps + 1>*, 3> others{&in_order, &reverse, &largest_first_late};
      for (const auto* order : others) {
        if (best.end <= bound) break;
        const Placement<Steps> other = first_fit(rules, *order, count);
        if (other.end < best.end) best = other;
      }
      if (best.end > bound) {
        Placement<Steps> searched{};
        if (place_under(searched, bound, rules, 4096)) {
          searched.end = bound;
          best = searched;
        }
      }
      return best;
    };
    Placement<Steps> best = search(r, plan.peak_live);
    // Never worse than the buffers kept apart: where the overlaps did not reach that bound, the
    // search without them (which reaches it where the planner always did).
    if (best.end > plan.peak_live_apart) {
      std::array<std::size_t, Steps + 1> no_overlap{};
      for (std::size_t b = 0; b <= Steps; ++b) no_overlap[b] = no_lead;
      const Placement<Steps> apart =
          search(Rules<Steps>{bytes, n, no_overlap, plan.after, overlapped_by}, plan.peak_live_apart);
      if (apart.end < best.end) best = apart;
    }
    plan.offset = best.offset;
    plan.bytes = best.end;
    return plan;
  }
}

}  // namespace qpipe::detail
