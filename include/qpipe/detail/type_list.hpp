// Generic type-level tools, apart from the network vocabulary: a list of types, the I-th of a list,
// and the concatenation of many lists. Each costs a pack expansion over the list, never a
// recursion over it: a 300-layer network must not instantiate 300 lists of growing length.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

namespace qpipe::detail {

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

// The I-th type of a list: the list derives from one indexed base per element, and the lookup
// deduces the base of index I (GCC 12 has no __type_pack_element).
template <std::size_t I, class T>
struct indexed_type {
  using type = T;
};
template <class Seq, class... Ts> struct type_indexer;
template <std::size_t... I, class... Ts>
struct type_indexer<std::index_sequence<I...>, Ts...> : indexed_type<I, Ts>... {};

template <std::size_t I, class T>
indexed_type<I, T> select_indexed(const indexed_type<I, T>&);  // declared only: decltype

template <std::size_t I, class List> struct type_at_impl;
template <std::size_t I, class... Ts>
struct type_at_impl<I, type_list<Ts...>> {
  static_assert(I < sizeof...(Ts), "qpipe::detail::type_at: index past the end of the list");
  using type = typename decltype(select_indexed<I>(type_indexer<std::index_sequence_for<Ts...>, Ts...>{}))::type;
};
template <std::size_t I, class List>
using type_at = typename type_at_impl<I, List>::type;

// Many lists into one. Where every list holds one type (a Pipe without nesting) it is a plain
// expansion; otherwise each element is looked up by its (list, position) pair, computed as values.
template <class... Lists> struct join_impl;
template <class... Ts>
struct join_impl<type_list<Ts>...> {
  using type = type_list<Ts...>;
};
template <class... Lists>
struct join_impl {
  static constexpr std::size_t count = (std::size_t{0} + ... + Lists::size);
  struct Origin {
    std::size_t list, position;
  };
  static constexpr std::array<Origin, count> origin = [] {
    std::array<Origin, count> o{};
    constexpr std::size_t sizes[] = {Lists::size..., 0};
    std::size_t n = 0;
    for (std::size_t l = 0; l < sizeof...(Lists); ++l)
      for (std::size_t p = 0; p < sizes[l]; ++p) o[n++] = {l, p};
    return o;
  }();
  template <std::size_t... I>
  static auto make(std::index_sequence<I...>)
      -> type_list<type_at<origin[I].position, type_at<origin[I].list, type_list<Lists...>>>...>;
  using type = decltype(make(std::make_index_sequence<count>{}));
};
template <>
struct join_impl<> {
  using type = type_list<>;
};
template <class... Lists>
using join = typename join_impl<Lists...>::type;

}  // namespace qpipe::detail
