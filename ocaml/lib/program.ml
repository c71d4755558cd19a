(* Programs as hash-consed trees: equal programs are one value, so the enumerator's
   "already queued" flag and successor link live on the node itself. *)

type t = {
  id : int;
  production : int;
  arguments : t array;
  log_probability : float;
  size : int;
  mutable successor : t option;  (* the next program in enumeration order, once known *)
  mutable queued : bool;
}

module Shape = struct
  type nonrec t = t

  let equal a b =
    a.production = b.production
    && Array.length a.arguments = Array.length b.arguments
    &&
    let rec same index = index < 0 || (a.arguments.(index) == b.arguments.(index) && same (index - 1)) in
    same (Array.length a.arguments - 1)

  let hash program = Array.fold_left (fun hash argument -> (hash * 65599) + argument.id) program.production program.arguments land max_int
end

module Table = Hashtbl.Make (Shape)

type builder = { dsl : Dsl.t; table : t Table.t; mutable next_id : int }

let builder dsl = { dsl; table = Table.create 4096; next_id = 0 }

let make builder production arguments =
  let log_probability =
    Array.fold_left (fun total argument -> total +. argument.log_probability) builder.dsl.productions.(production).log_probability arguments
  in
  let size = Array.fold_left (fun total argument -> total + argument.size) 1 arguments in
  let candidate = { id = builder.next_id; production; arguments; log_probability; size; successor = None; queued = false } in
  match Table.find_opt builder.table candidate with
  | Some existing -> existing
  | None ->
      builder.next_id <- builder.next_id + 1;
      Table.add builder.table candidate candidate;
      candidate

let rec to_sexp dsl program =
  let name = Sexp.Atom dsl.Dsl.productions.(program.production).name in
  if Array.length program.arguments = 0 then name
  else Sexp.List (name :: Array.to_list (Array.map (to_sexp dsl) program.arguments))

let to_string dsl program = Sexp.to_string (to_sexp dsl program)

let of_string builder text =
  let dsl = builder.dsl in
  let expression = try Sexp.parse text with Sexp.Parse_error message -> Dsl.invalid "program: %s" message in
  let call head arguments =
    match Dsl.find dsl head with
    | None -> Dsl.invalid "program %S: unknown name %S" text head
    | Some production ->
        let expected = dsl.productions.(production).arity in
        if List.length arguments <> expected then
          Dsl.invalid "program %S: %s takes %d argument(s), given %d" text head expected (List.length arguments);
        production
  in
  let rec convert = function
    | Sexp.Atom head -> make builder (call head []) [||]
    | Sexp.List (Sexp.Atom head :: arguments) ->
        let production = call head arguments in
        make builder production (Array.of_list (List.map convert arguments))
    | other -> Dsl.invalid "program %S: %s is not an application of a named entry" text (Sexp.to_string other)
  in
  convert expression

(* How often each DSL entry occurs in the programs (inventions count as themselves). *)
let usage dsl programs =
  let counts = Array.make (Array.length dsl.Dsl.productions) 0 in
  let rec visit program =
    counts.(program.production) <- counts.(program.production) + 1;
    Array.iter visit program.arguments
  in
  List.iter visit programs;
  counts
