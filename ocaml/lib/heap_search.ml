(* Heap search (Fijalkow et al., "Scaling neural program synthesis with distribution-based
   search", AAAI 2022) for a grammar with one symbol: programs come out in non-increasing
   probability. The heap holds candidates; when a program is taken, each of its arguments
   is replaced in turn by that argument's successor in enumeration order, which is known
   because every argument is strictly more likely than the program and so came out earlier. *)

type t = {
  builder : Program.builder;
  mutable heap : Program.t array;
  mutable heap_size : int;
  mutable previous : Program.t option;
}

(* Max-heap on log-probability; ties go to the program created first, so the order is deterministic. *)
let before (a : Program.t) (b : Program.t) =
  a.log_probability > b.log_probability || (a.log_probability = b.log_probability && a.id < b.id)

let push search (program : Program.t) =
  program.queued <- true;
  if search.heap_size = Array.length search.heap then begin
    let grown = Array.make (2 * search.heap_size) program in
    Array.blit search.heap 0 grown 0 search.heap_size;
    search.heap <- grown
  end;
  let heap = search.heap in
  let rec sift_up index =
    if index > 0 then begin
      let parent = (index - 1) / 2 in
      if before program heap.(parent) then begin
        heap.(index) <- heap.(parent);
        sift_up parent
      end
      else heap.(index) <- program
    end
    else heap.(index) <- program
  in
  search.heap_size <- search.heap_size + 1;
  sift_up (search.heap_size - 1)

let pop search =
  let heap = search.heap in
  let top = heap.(0) in
  search.heap_size <- search.heap_size - 1;
  let last = heap.(search.heap_size) in
  let size = search.heap_size in
  let rec sift_down index =
    let left = (2 * index) + 1 in
    if left >= size then heap.(index) <- last
    else begin
      let right = left + 1 in
      let child = if right < size && before heap.(right) heap.(left) then right else left in
      if before heap.(child) last then begin
        heap.(index) <- heap.(child);
        sift_down child
      end
      else heap.(index) <- last
    end
  in
  if size > 0 then sift_down 0;
  top

let create (builder : Program.builder) =
  let productions = builder.dsl.Dsl.productions in
  (* The most likely program is the most likely arity-0 entry; each rule's first program
     applies it to that leaf in every argument position. *)
  let best_leaf = ref (-1) in
  Array.iteri
    (fun index (production : Dsl.production) ->
      if production.arity = 0 && (!best_leaf < 0 || production.log_probability > productions.(!best_leaf).log_probability) then best_leaf := index)
    productions;
  let leaf = Program.make builder !best_leaf [||] in
  let search = { builder; heap = Array.make 1024 leaf; heap_size = 0; previous = None } in
  Array.iteri
    (fun index (production : Dsl.production) ->
      let first = Program.make builder index (Array.make production.arity leaf) in
      if not first.queued then push search first)
    productions;
  search

(* None once a finite grammar (one without recursive entries) has given every program. *)
let next search : Program.t option =
  if search.heap_size = 0 then None
  else begin
    let program = pop search in
    (match search.previous with Some previous -> previous.successor <- Some program | None -> ());
    search.previous <- Some program;
    Array.iteri
      (fun index (argument : Program.t) ->
        match argument.successor with
        | Some replacement ->
            let arguments = Array.copy program.arguments in
            arguments.(index) <- replacement;
            let candidate = Program.make search.builder program.production arguments in
            if not candidate.queued then push search candidate
        | None -> ())
      program.arguments;
    Some program
  end
