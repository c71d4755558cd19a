(* The canonical key must agree exactly with isomorphism: equal for relabelled copies,
   different for non-isomorphic graphs (checked against brute force on small graphs). *)

open Program_search

let adjacency_of_edges n edges =
  let lists = Array.make n [] in
  List.iter (fun (a, b) -> lists.(a) <- b :: lists.(a); lists.(b) <- a :: lists.(b)) edges;
  Array.map Array.of_list lists

let random_connected_edges random n extra =
  let edges = Hashtbl.create 16 in
  let add a b = if a <> b then Hashtbl.replace edges (min a b, max a b) () in
  for node = 1 to n - 1 do add node (Random.State.int random node) done;
  for _ = 1 to extra do add (Random.State.int random n) (Random.State.int random n) done;
  Hashtbl.fold (fun edge () acc -> edge :: acc) edges [] |> List.sort compare

let random_permutation random n =
  let permutation = Array.init n (fun i -> i) in
  for i = n - 1 downto 1 do
    let j = Random.State.int random (i + 1) in
    let t = permutation.(i) in
    permutation.(i) <- permutation.(j);
    permutation.(j) <- t
  done;
  permutation

let relabel permutation edges = List.map (fun (a, b) -> (permutation.(a), permutation.(b))) edges

let key n edges = Canonical.key (adjacency_of_edges n edges)

let normalised edges = List.sort compare (List.map (fun (a, b) -> (min a b, max a b)) edges)

(* Tries every bijection: fine for n <= 7. *)
let brute_force_isomorphic n edges_a edges_b =
  List.length edges_a = List.length edges_b
  &&
  let target = normalised edges_b in
  let used = Array.make n false and image = Array.make n 0 in
  let rec assign vertex =
    if vertex = n then normalised (relabel image edges_a) = target
    else
      let rec try_value value =
        value < n
        && ((not used.(value))
            && begin
                 used.(value) <- true;
                 image.(vertex) <- value;
                 let result = assign (vertex + 1) in
                 used.(value) <- false;
                 result
               end
           || try_value (value + 1))
      in
      try_value 0
  in
  assign 0

let check condition message = if not condition then failwith message

let () =
  let random = Random.State.make [| 7 |] in
  (* Relabelled copies, including larger and denser graphs. *)
  for trial = 1 to 400 do
    let n = 2 + Random.State.int random 30 in
    let edges = random_connected_edges random n (Random.State.int random (2 * n)) in
    let permutation = random_permutation random n in
    check (key n edges = key n (relabel permutation edges)) (Printf.sprintf "relabelled copy got a different key (trial %d, n=%d)" trial n)
  done;
  (* Agreement with brute force on pairs of small graphs with equal node and edge counts. *)
  let isomorphic_pairs = ref 0 and distinct_pairs = ref 0 in
  for _ = 1 to 3000 do
    let n = 3 + Random.State.int random 5 in
    let extra = Random.State.int random 4 in
    let a = random_connected_edges random n extra and b = random_connected_edges random n extra in
    if List.length a = List.length b then begin
      let same = brute_force_isomorphic n a b in
      if same then incr isomorphic_pairs else incr distinct_pairs;
      check ((key n a = key n b) = same)
        (Printf.sprintf "key disagrees with brute force (isomorphic=%b) on n=%d: %s vs %s" same n
           (String.concat " " (List.map (fun (x, y) -> Printf.sprintf "%d-%d" x y) a))
           (String.concat " " (List.map (fun (x, y) -> Printf.sprintf "%d-%d" x y) b)))
    end
  done;
  check (!isomorphic_pairs > 50 && !distinct_pairs > 50) "the random pairs did not cover both outcomes";
  (* Highly symmetric graphs, where refinement alone cannot split anything. *)
  let cycle n = List.init n (fun i -> (i, (i + 1) mod n)) in
  let complete n = List.concat (List.init n (fun a -> List.filter_map (fun b -> if a < b then Some (a, b) else None) (List.init n (fun b -> b)))) in
  let petersen = cycle 5 @ List.init 5 (fun i -> (i, i + 5)) @ List.init 5 (fun i -> (5 + i, 5 + ((i + 2) mod 5))) in
  let two_triangles = [ (0, 1); (1, 2); (2, 0); (3, 4); (4, 5); (5, 3) ] in
  List.iter
    (fun (name, n, edges) ->
      let permutation = random_permutation random n in
      check (key n edges = key n (relabel permutation edges)) (name ^ ": relabelled copy got a different key"))
    [ ("cycle 24", 24, cycle 24); ("K11", 11, complete 11); ("Petersen", 10, petersen); ("two triangles", 6, two_triangles) ];
  (* Regular graphs of the same degree and size that refinement alone would confuse. *)
  check (key 6 two_triangles <> key 6 (cycle 6)) "two triangles and a hexagon got the same key";
  check (key 10 petersen <> key 10 (cycle 5 @ List.init 5 (fun i -> (i, i + 5)) @ List.init 5 (fun i -> (5 + i, 5 + ((i + 1) mod 5)))))
    "Petersen graph and the pentagonal prism got the same key";
  print_endline "canonical keys: ok"
