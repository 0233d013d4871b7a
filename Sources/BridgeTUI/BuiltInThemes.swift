// Generated from themes/default.yaml and themes/mono.yaml (a test keeps them identical), so a lone binary has
// its default theme and the monochrome one.
enum BuiltInThemes {
  static let defaultYAML = """
    # BridgeWatch theme "default": for dark terminals. Each role maps to fg / bg (a name such as green or
    # bright-white, 0-255, #rrggbb, or default) and attrs (bold, dim, reverse, underline). Omitted roles fall back
    # to this theme; "normal" is the fallback for everything.
    normal:          {fg: default, bg: default}
    header:          {fg: bright-white, bg: 24}
    header.title:    {fg: bright-white, bg: 24, attrs: [bold]}
    header.alert:    {fg: bright-white, bg: 124, attrs: [bold]}
    columns:         {fg: 252, bg: 238, attrs: [bold]}
    group:           {fg: bright-cyan, attrs: [bold]}
    status.online:   {fg: green}
    status.late:     {fg: bright-yellow, attrs: [bold]}
    status.offline:  {fg: bright-white, bg: 160, attrs: [bold]}
    status.marked:   {fg: bright-magenta, attrs: [bold]}
    status.unknown:  {fg: 245}
    flag:            {fg: bright-yellow}
    dim:             {fg: 245}
    selection:       {fg: black, bg: 153}
    log.time:        {fg: 245}
    log:             {fg: default}
    log.alert:       {fg: bright-red, attrs: [bold]}
    footer:          {fg: 252, bg: 238}
    footer.key:      {fg: bright-white, bg: 238, attrs: [bold]}
    prompt:          {fg: bright-white, bg: 24, attrs: [bold]}
    error:           {fg: bright-white, bg: 160, attrs: [bold]}
    banner:          {fg: black, bg: yellow, attrs: [bold]}
    overlay:         {fg: 252, bg: 236}
    overlay.title:   {fg: bright-cyan, bg: 236, attrs: [bold]}

    """

  static let monoYAML = """
    # BridgeWatch theme "mono": attributes only, no colour. Used with --no-color, NO_COLOR, or a terminal without
    # colours. Problems still stand out: offline is reverse video, late is bold, marked is underlined.
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
    status.unknown:  {attrs: [dim]}
    flag:            {attrs: [bold]}
    dim:             {attrs: [dim]}
    selection:       {attrs: [reverse]}
    log.time:        {attrs: [dim]}
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
