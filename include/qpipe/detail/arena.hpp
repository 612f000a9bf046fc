// The compile-time arena planner. Each intermediate buffer is live from the step that writes it
// to the last step that reads it (a residual's input stays live until its add); two buffers may
// share bytes only if they are never live at the same step. The lower bound on any placement is
// the most bytes live during one step; the planner places buffers to reach it.
#pragma once

#include <array>
#include <cstddef>

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

template <std::size_t Steps>
constexpr std::size_t peak_live_bytes(const std::array<std::size_t, Steps + 1>& bytes, const Lifetimes<Steps>& t) {
  std::size_t peak = 0;
  for (std::size_t k = 0; k < Steps; ++k) {
    std::size_t live = 0;
    for (std::size_t b = 1; b < Steps; ++b) {
      if (t.first[b] <= k && k <= t.last[b]) live += bytes[b];
    }
    peak = live > peak ? live : peak;
  }
  return peak;
}

// Placement state shared by the strategies below.
template <std::size_t Steps>
struct Placement {
  std::array<std::size_t, Steps + 1> offset{};
  std::array<bool, Steps + 1> placed{};
  std::size_t end = 0;

  constexpr bool fits(std::size_t b, std::size_t at, const std::array<std::size_t, Steps + 1>& bytes,
                      const Lifetimes<Steps>& t) const {
    for (std::size_t o = 1; o < Steps; ++o) {
      if (!placed[o] || !t.overlap(b, o)) continue;
      if (at < offset[o] + bytes[o] && offset[o] < at + bytes[b]) return false;
    }
    return true;
  }
  // The lowest offset where b fits: 0 or right after a buffer it must not overlap.
  constexpr std::size_t lowest(std::size_t b, const std::array<std::size_t, Steps + 1>& bytes, const Lifetimes<Steps>& t) const {
    std::size_t best = fits(b, 0, bytes, t) ? 0 : static_cast<std::size_t>(-1);
    for (std::size_t o = 1; o < Steps; ++o) {
      if (!placed[o] || !t.overlap(b, o)) continue;
      const std::size_t at = offset[o] + bytes[o];
      if (at < best && fits(b, at, bytes, t)) best = at;
    }
    return best;
  }
  // The highest offset at or below limit - size where b fits, or -1 if none.
  constexpr std::size_t highest(std::size_t b, std::size_t limit, const std::array<std::size_t, Steps + 1>& bytes,
                                const Lifetimes<Steps>& t) const {
    if (bytes[b] > limit) return static_cast<std::size_t>(-1);
    std::size_t best = static_cast<std::size_t>(-1);
    auto consider = [&](std::size_t at) {
      if (at + bytes[b] <= limit && fits(b, at, bytes, t) && (best == static_cast<std::size_t>(-1) || at > best)) best = at;
    };
    consider(limit - bytes[b]);
    for (std::size_t o = 1; o < Steps; ++o) {
      if (placed[o] && t.overlap(b, o) && offset[o] >= bytes[b]) consider(offset[o] - bytes[b]);
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
constexpr Placement<Steps> first_fit(const std::array<std::size_t, Steps + 1>& bytes, const Lifetimes<Steps>& t,
                                     const std::array<std::size_t, Steps + 1>& order, std::size_t count) {
  Placement<Steps> p{};
  for (std::size_t i = 0; i < count; ++i) p.put(order[i], p.lowest(order[i], bytes, t), bytes);
  return p;
}

// Depth-first search in production order, each buffer at the lowest or the highest place under
// the target; gives up after a fixed number of placements so compile time stays bounded.
template <std::size_t Steps>
constexpr bool place_under(Placement<Steps>& p, std::size_t b, std::size_t target, const std::array<std::size_t, Steps + 1>& bytes,
                           const Lifetimes<Steps>& t, std::size_t& budget) {
  if (b >= Steps) return true;
  if (budget == 0) return false;
  --budget;
  const std::size_t low = p.lowest(b, bytes, t);
  const std::size_t high = p.highest(b, target, bytes, t);
  for (std::size_t at : {low, high}) {
    if (at == static_cast<std::size_t>(-1) || at + bytes[b] > target) continue;
    Placement<Steps> next = p;
    next.put(b, at, bytes);
    if (place_under(next, b + 1, target, bytes, t, budget)) {
      p = next;
      return true;
    }
    if (low == high) break;
  }
  return false;
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
    constexpr std::size_t count = Steps - 1;
    std::array<std::size_t, Steps + 1> in_order{}, largest_first{};
    for (std::size_t i = 0; i < count; ++i) in_order[i] = largest_first[i] = i + 1;
    for (std::size_t i = 1; i < count; ++i) {  // stable insertion sort, largest first
      for (std::size_t j = i; j > 0 && bytes[largest_first[j]] > bytes[largest_first[j - 1]]; --j) {
        const std::size_t s = largest_first[j];
        largest_first[j] = largest_first[j - 1];
        largest_first[j - 1] = s;
      }
    }
    Placement<Steps> best = first_fit(bytes, t, largest_first, count);
    if (best.end > plan.peak_live) {
      const Placement<Steps> other = first_fit(bytes, t, in_order, count);
      if (other.end < best.end) best = other;
    }
    if (best.end > plan.peak_live) {
      Placement<Steps> searched{};
      std::size_t budget = 4096;
      if (place_under(searched, 1, plan.peak_live, bytes, t, budget)) best = searched;
    }
    plan.offset = best.offset;
    plan.bytes = best.end;
    return plan;
  }
}

}  // namespace qpipe::detail
