// The compile-time arena planner. Each intermediate buffer is live from the step that writes it
// to the last step that reads it (a residual's input stays live until its add); two buffers may
// share bytes only if they are never live at the same step. The lower bound on any placement is
// the most bytes live during one step; the planner places buffers to reach it.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace qpipe::detail {

template <std::size_t Steps>
struct ArenaPlan {
  // Byte offset of each intermediate buffer (1 .. Steps-1). Buffer 0 (the input) and buffer
  // Steps (the output) belong to the caller.
  std::array<std::size_t, Steps + 1> offset{};
  std::size_t bytes = 0;      // the arena's size
  std::size_t peak_live = 0;  // the lower bound: the most intermediate bytes live during one step
};

template <std::size_t Steps>
struct Lifetimes {
  std::array<std::size_t, Steps + 1> first{};  // the step that writes the buffer
  std::array<std::size_t, Steps + 1> last{};   // the last step that reads it
  constexpr bool overlap(std::size_t a, std::size_t b) const {
    return first[a] <= last[b] && first[b] <= last[a];
  }
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
    list.resize(begin[Steps + 1]);
    std::array<std::size_t, Steps + 1> next{};
    for (std::size_t b = 0; b <= Steps; ++b) next[b] = begin[b];
    for (std::size_t b = 1; b < Steps; ++b)
      for (std::size_t o = b + 1; o < Steps && t.first[o] <= t.last[b]; ++o) list[next[b]++] = o, list[next[o]++] = b;
  }
  constexpr const std::size_t* of(std::size_t b) const { return list.data() + begin[b]; }
  constexpr const std::size_t* end_of(std::size_t b) const { return list.data() + begin[b + 1]; }
};

// Placement state shared by the strategies below. Each query looks only at the buffers that
// share a step with the one being placed.
template <std::size_t Steps>
struct Placement {
  std::array<std::size_t, Steps + 1> offset{};
  std::array<bool, Steps + 1> placed{};
  std::size_t end = 0;

  constexpr bool fits(std::size_t b, std::size_t at, const std::array<std::size_t, Steps + 1>& bytes,
                      const Neighbours<Steps>& n) const {
    for (const std::size_t* o = n.of(b); o != n.end_of(b); ++o) {
      if (placed[*o] && at < offset[*o] + bytes[*o] && offset[*o] < at + bytes[b]) return false;
    }
    return true;
  }
  // The lowest offset where b fits: 0 or right after a buffer it must not overlap.
  constexpr std::size_t lowest(std::size_t b, const std::array<std::size_t, Steps + 1>& bytes, const Neighbours<Steps>& n) const {
    std::size_t best = fits(b, 0, bytes, n) ? 0 : static_cast<std::size_t>(-1);
    for (const std::size_t* o = n.of(b); o != n.end_of(b); ++o) {
      if (!placed[*o]) continue;
      const std::size_t at = offset[*o] + bytes[*o];
      if (at < best && fits(b, at, bytes, n)) best = at;
    }
    return best;
  }
  // The highest offset at or below limit - size where b fits, or -1 if none.
  constexpr std::size_t highest(std::size_t b, std::size_t limit, const std::array<std::size_t, Steps + 1>& bytes,
                                const Neighbours<Steps>& n) const {
    if (bytes[b] > limit) return static_cast<std::size_t>(-1);
    std::size_t best = static_cast<std::size_t>(-1);
    auto consider = [&](std::size_t at) {
      if (at + bytes[b] <= limit && fits(b, at, bytes, n) && (best == static_cast<std::size_t>(-1) || at > best)) best = at;
    };
    consider(limit - bytes[b]);
    for (const std::size_t* o = n.of(b); o != n.end_of(b); ++o) {
      if (placed[*o] && offset[*o] >= bytes[b]) consider(offset[*o] - bytes[b]);
    }
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
constexpr Placement<Steps> first_fit(const std::array<std::size_t, Steps + 1>& bytes, const Neighbours<Steps>& n,
                                     const std::array<std::size_t, Steps + 1>& order, std::size_t count) {
  Placement<Steps> p{};
  for (std::size_t i = 0; i < count; ++i) p.put(order[i], p.lowest(order[i], bytes, n), bytes);
  return p;
}

// Depth-first search in production order, each buffer at the lowest or the highest place under
// the target; stops entering new buffers after a fixed number of placements so compile time
// stays bounded. An
// explicit stack of choices (not recursion: a deep network would exceed the constexpr depth), and
// a placement is undone rather than copied.
template <std::size_t Steps>
constexpr bool place_under(Placement<Steps>& p, std::size_t target, const std::array<std::size_t, Steps + 1>& bytes,
                           const Neighbours<Steps>& n, std::size_t budget) {
  constexpr std::size_t none = static_cast<std::size_t>(-1);
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
      stack.push_back({p.lowest(b, bytes, n), p.highest(b, target, bytes, n), 0});
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

template <std::size_t Steps>
constexpr ArenaPlan<Steps> plan_arena(const std::array<std::size_t, Steps + 1>& bytes,
                                      const std::array<std::array<std::size_t, 2>, Steps>& reads, std::size_t none) {
  const Lifetimes<Steps> t = lifetimes(reads, none);
  ArenaPlan<Steps> plan{};
  plan.peak_live = peak_live_bytes(bytes, t);
  if constexpr (Steps < 2) {
    return plan;  // no intermediate buffer
  } else {
    const Neighbours<Steps> n{t};
    constexpr std::size_t count = Steps - 1;
    std::array<std::size_t, Steps + 1> in_order{}, largest_first{};
    for (std::size_t i = 0; i < count; ++i) in_order[i] = largest_first[i] = i + 1;
    // Stable, largest first: a merge sort (an insertion sort is quadratic in a deep network).
    std::array<std::size_t, Steps + 1> scratch{};
    for (std::size_t width = 1; width < count; width *= 2) {
      for (std::size_t lo = 0; lo < count; lo += 2 * width) {
        const std::size_t mid = lo + width < count ? lo + width : count;
        const std::size_t hi = lo + 2 * width < count ? lo + 2 * width : count;
        std::size_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) scratch[k++] = bytes[largest_first[j]] > bytes[largest_first[i]] ? largest_first[j++] : largest_first[i++];
        while (i < mid) scratch[k++] = largest_first[i++];
        while (j < hi) scratch[k++] = largest_first[j++];
      }
      for (std::size_t i = 0; i < count; ++i) largest_first[i] = scratch[i];
    }
    Placement<Steps> best = first_fit(bytes, n, largest_first, count);
    if (best.end > plan.peak_live) {
      const Placement<Steps> other = first_fit(bytes, n, in_order, count);
      if (other.end < best.end) best = other;
    }
    if (best.end > plan.peak_live) {
      Placement<Steps> searched{};
      if (place_under(searched, plan.peak_live, bytes, n, 4096)) {
        searched.end = plan.peak_live;
        best = searched;
      }
    }
    plan.offset = best.offset;
    plan.bytes = best.end;
    return plan;
  }
}

}  // namespace qpipe::detail
