// Generated from themes/*.yaml (a test keeps them identical): every shipped theme is compiled in, so a lone
// binary run from any folder has all of them.
enum BuiltInThemes {
  static let defaultYAML = """
    # BridgeWatch theme "default": for any terminal, dark or white. Text on the terminal's own background keeps the
    # terminal's own colour, the one colour sure to read on it; colour comes as a background (offline white on red,
    # late and flags black on yellow) or on bars that paint their own. Each role maps to fg / bg (a name such as green
    # or bright-white, 0-255, #rrggbb, or default) and attrs (bold, dim, reverse, underline). Omitted roles fall back
    # to this theme; "normal" is the fallback for everything. Every role reads at 4.5:1 or more (ThemeContrastTests).
    normal:          {fg: default, bg: default}
    header:          {fg: bright-white, bg: 25}
    header.title:    {fg: bright-white, bg: 25, attrs: [bold]}
    header.alert:    {fg: bright-white, bg: 124, attrs: [bold]}
    columns:         {fg: 252, bg: 238, attrs: [bold]}
    group:           {fg: default, attrs: [bold, underline]}
    status.online:   {fg: default}
    status.late:     {fg: black, bg: 220}
    status.offline:  {fg: bright-white, bg: 160, attrs: [bold]}
    status.marked:   {fg: bright-white, bg: 90, attrs: [bold]}
    status.unknown:  {fg: default}
    flag:            {fg: black, bg: 220}
    dim:             {fg: default}
    selection:       {fg: black, bg: 153}
    log.time:        {fg: default}
    log:             {fg: default}
    log.alert:       {fg: bright-white, bg: 124}
    footer:          {fg: 252, bg: 238}
    footer.key:      {fg: bright-white, bg: 238, attrs: [bold]}
    prompt:          {fg: bright-white, bg: 25, attrs: [bold]}
    error:           {fg: bright-white, bg: 160, attrs: [bold]}
    banner:          {fg: black, bg: 220}
    overlay:         {fg: 252, bg: 236}
    overlay.title:   {fg: bright-cyan, bg: 236, attrs: [bold]}

    """

  static let lightYAML = """
    # BridgeWatch theme "light": dark text on a white screen it paints itself, so it reads the same in any
    # terminal. No bold on coloured text: terminals draw bold colours brighter, which washes them out on white.
    normal:          {fg: black, bg: 231}
    header:          {fg: bright-white, bg: 25}
    header.title:    {fg: bright-white, bg: 25, attrs: [bold]}
    header.alert:    {fg: bright-white, bg: 160, attrs: [bold]}
    columns:         {fg: black, bg: 252}
    group:           {fg: 18, bg: 231, attrs: [underline]}
    status.online:   {fg: 22, bg: 231}
    status.late:     {fg: black, bg: 221}
    status.offline:  {fg: bright-white, bg: 160, attrs: [bold]}
    status.marked:   {fg: bright-white, bg: 90, attrs: [bold]}
    status.unknown:  {fg: 240, bg: 231}
    flag:            {fg: black, bg: 221}
    dim:             {fg: 240, bg: 231}
    selection:       {fg: bright-white, bg: 25}
    log.time:        {fg: 240, bg: 231}
    log:             {fg: black, bg: 231}
    log.alert:       {fg: 160, bg: 231, attrs: [underline]}
    footer:          {fg: black, bg: 252}
    footer.key:      {fg: 18, bg: 252, attrs: [underline]}
    prompt:          {fg: bright-white, bg: 25, attrs: [bold]}
    error:           {fg: bright-white, bg: 160, attrs: [bold]}
    banner:          {fg: black, bg: 221}
    overlay:         {fg: black, bg: 255}
    overlay.title:   {fg: 18, bg: 255, attrs: [underline]}

    """

  static let highContrastYAML = """
    # BridgeWatch theme "high-contrast": pure colours on a black screen it paints itself; for projectors and tired
    # eyes. Black text is never bold: terminals draw bold black grey.
    normal:          {fg: bright-white, bg: black}
    header:          {fg: black, bg: bright-white}
    header.title:    {fg: black, bg: bright-white, attrs: [underline]}
    header.alert:    {fg: bright-white, bg: red, attrs: [bold]}
    columns:         {fg: black, bg: bright-cyan}
    group:           {fg: bright-cyan, bg: black, attrs: [bold, underline]}
    status.online:   {fg: bright-green, bg: black, attrs: [bold]}
    status.late:     {fg: black, bg: bright-yellow}
    status.offline:  {fg: bright-white, bg: red, attrs: [bold]}
    status.marked:   {fg: bright-white, bg: magenta, attrs: [bold]}
    status.unknown:  {fg: bright-white, bg: black}
    flag:            {fg: bright-yellow, bg: black, attrs: [bold]}
    dim:             {fg: white, bg: black}
    selection:       {fg: black, bg: bright-white}
    log.time:        {fg: bright-cyan, bg: black}
    log:             {fg: bright-white, bg: black}
    log.alert:       {fg: bright-red, bg: black, attrs: [bold]}
    footer:          {fg: black, bg: bright-white}
    footer.key:      {fg: black, bg: bright-white, attrs: [underline]}
    prompt:          {fg: black, bg: bright-yellow}
    error:           {fg: bright-white, bg: red, attrs: [bold]}
    banner:          {fg: black, bg: bright-yellow}
    overlay:         {fg: bright-white, bg: blue}
    overlay.title:   {fg: bright-yellow, bg: blue, attrs: [bold]}

    """

  static let monoYAML = """
    # BridgeWatch theme "mono": attributes only, no colour. Used with --no-color, NO_COLOR, or a terminal without
    # colours. Problems still stand out: offline is reverse video, late is bold, marked is underlined;
    # nothing is dim, which some terminals draw too faint to read.
    monochrome: true
    normal:          {attrs: [none]}
    header:          {attrs: [reverse]}
    header.title:    {attrs: [reverse, bold]}
    header.alert:    {attrs: [reverse, bold, underline]}
    columns:         {attrs: [bold, underline]}
    group:           {attrs: [bold]}
    status.online:   {attrs: [none]}
    status.late:     {attrs: [bold]}
    status.offline:  {attrs: [reverse, bold]}
    status.marked:   {attrs: [underline, bold]}
    status.unknown:  {attrs: [none]}
    flag:            {attrs: [bold]}
    dim:             {attrs: [none]}
    selection:       {attrs: [reverse]}
    log.time:        {attrs: [none]}
    log:             {attrs: [none]}
    log.alert:       {attrs: [bold]}
    footer:          {attrs: [reverse]}
    footer.key:      {attrs: [reverse, bold]}
    prompt:          {attrs: [reverse, bold]}
    error:           {attrs: [reverse, bold, underline]}
    banner:          {attrs: [reverse, bold]}
    overlay:         {attrs: [none]}
    overlay.title:   {attrs: [bold, underline]}

    """
}
