(* Canonical form of an undirected simple graph (ports and creation order ignored), by
   individualisation-refinement: colour refinement to an equitable ordered partition,
   then branching on the first smallest non-singleton cell; the certificate is the
   lexicographically least relabelled edge list over all leaves. Branches that an
   automorphism already found maps onto an explored branch are pruned, which keeps
   symmetric graphs (cycles, cliques, stars) polynomial in practice. *)

(* Colours are ranks 0..c-1; refinement splits cells by the sorted multiset of
   neighbour colours and renumbers in signature order, so it is isomorphism-equivariant. *)
let refine (adjacency : int array array) (colours : int array) : int array =
  let n = Array.length colours in
  let count_distinct colours =
    let seen = Array.make n false in
    Array.fold_left (fun count colour -> if seen.(colour) then count else (seen.(colour) <- true; count + 1)) 0 colours
  in
  let rec loop colours n_colours =
    if n_colours = n then colours
    else begin
      let signature vertex =
        let neighbour_colours = Array.map (fun neighbour -> colours.(neighbour)) adjacency.(vertex) in
        Array.sort compare neighbour_colours;
        (colours.(vertex), neighbour_colours)
      in
      let signatures = Array.init n signature in
      let order = Array.init n (fun vertex -> vertex) in
      Array.stable_sort (fun a b -> compare signatures.(a) signatures.(b)) order;
      let refined = Array.make n 0 in
      let rank = ref 0 in
      Array.iteri
        (fun position vertex ->
          if position > 0 && compare signatures.(order.(position - 1)) signatures.(vertex) <> 0 then incr rank;
          refined.(vertex) <- !rank)
        order;
      let n_refined = !rank + 1 in
      if n_refined = n_colours then colours else loop refined n_refined
    end
  in
  loop colours (count_distinct colours)

let individualise (colours : int array) (vertex : int) : int array =
  (* The chosen vertex takes its cell's lowest rank; everything at or above shifts up. *)
  let own = colours.(vertex) in
  Array.mapi (fun other colour -> if other = vertex || colour < own then colour else colour + 1) colours

(* First non-singleton cell of least size, as the list of its vertices. *)
let target_cell (colours : int array) : int list =
  let n = Array.length colours in
  let sizes = Array.make n 0 in
  Array.iter (fun colour -> sizes.(colour) <- sizes.(colour) + 1) colours;
  let best = ref (-1) in
  Array.iteri (fun colour size -> if size > 1 && (!best < 0 || size < sizes.(!best)) then best := colour) sizes;
  if !best < 0 then []
  else List.filter (fun vertex -> colours.(vertex) = !best) (List.init n (fun vertex -> vertex))

let certificate (adjacency : int array array) (labels : int array) : int array =
  let pairs = ref [] in
  Array.iteri
    (fun vertex neighbours ->
      Array.iter
        (fun neighbour ->
          if vertex < neighbour then begin
            let a = labels.(vertex) and b = labels.(neighbour) in
            pairs := (min a b * Array.length labels) + max a b :: !pairs
          end)
        neighbours)
    adjacency;
  let codes = Array.of_list !pairs in
  Array.sort compare codes;
  codes

(* Vertices in the same orbit under the automorphisms that fix [fixed] pointwise. *)
let orbit_representatives n (automorphisms : int array list) (fixed : int list) : int array =
  let parent = Array.init n (fun vertex -> vertex) in
  let rec find vertex = if parent.(vertex) = vertex then vertex else begin
      let root = find parent.(vertex) in
      parent.(vertex) <- root;
      root
    end
  in
  List.iter
    (fun permutation ->
      if List.for_all (fun vertex -> permutation.(vertex) = vertex) fixed then
        Array.iteri
          (fun vertex image ->
            let a = find vertex and b = find image in
            if a <> b then parent.(max a b) <- min a b)
          permutation)
    automorphisms;
  Array.init n find

let canonical_certificate (adjacency : int array array) : int array =
  let n = Array.length adjacency in
  if n = 0 then [||]
  else begin
    let best : (int array * int array) option ref = ref None in
    let automorphisms = ref [] in
    let rec explore fixed colours =
      let colours = refine adjacency colours in
      match target_cell colours with
      | [] -> (
          let leaf_certificate = certificate adjacency colours in
          match !best with
          | None -> best := Some (leaf_certificate, colours)
          | Some (best_certificate, best_labels) ->
              let order = compare leaf_certificate best_certificate in
              if order < 0 then best := Some (leaf_certificate, colours)
              else if order = 0 then begin
                (* Same certificate: vertex v here plays the role of the best leaf's
                   vertex with the same label, which is an automorphism. *)
                let vertex_of_label = Array.make n 0 in
                Array.iteri (fun vertex label -> vertex_of_label.(label) <- vertex) best_labels;
                automorphisms := Array.map (fun label -> vertex_of_label.(label)) colours :: !automorphisms
              end)
      | cell ->
          let explored = ref [] in
          List.iter
            (fun vertex ->
              let representatives = orbit_representatives n !automorphisms fixed in
              let equivalent = List.exists (fun done_vertex -> representatives.(done_vertex) = representatives.(vertex)) !explored in
              if not equivalent then begin
                explore (vertex :: fixed) (individualise colours vertex);
                explored := vertex :: !explored
              end)
            cell
    in
    explore [] (Array.make n 0);
    match !best with Some (certificate, _) -> certificate | None -> [||]
  end

(* The isomorphism-invariant key: node count, edge count and the canonical edge list, hashed. *)
let key (adjacency : int array array) : string =
  let codes = canonical_certificate adjacency in
  let buffer = Buffer.create (16 + (Array.length codes * 4)) in
  Buffer.add_string buffer (string_of_int (Array.length adjacency));
  Array.iter (fun code -> Buffer.add_char buffer ','; Buffer.add_string buffer (string_of_int code)) codes;
  Digest.to_hex (Digest.string (Buffer.contents buffer))
